/** A problem the user can fix, said in one line that names what to do; the CLI prints it without a stack trace. */
export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackError';
  }
}
