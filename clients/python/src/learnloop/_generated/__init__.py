"""Generated from schemas/router.proto by scripts/generate-grpc.sh; do not edit."""
