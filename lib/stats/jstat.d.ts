// jstat ships no types. Only what lib/stats uses is declared, so that a misuse is a compile error rather than `any`.
declare module 'jstat' {
  interface JStatNormal {
    cdf(x: number, mean: number, sd: number): number;
    inv(p: number, mean: number, sd: number): number;
  }
  interface JStatChiSquare {
    cdf(x: number, degreesOfFreedom: number): number;
  }
  interface JStat {
    normal: JStatNormal;
    chisquare: JStatChiSquare;
    /** The complementary error function, computed as 1 − erf(x): about 1e-16 absolute precision. */
    erfc(x: number): number;
  }
  const jStat: JStat;
  export default jStat;
}
