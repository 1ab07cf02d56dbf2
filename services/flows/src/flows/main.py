"""flows service entry point: `junction-flows`. The service is not built yet; it says so and exits."""

import sys


def main() -> None:
    sys.stderr.write("junction-flows: this service is not built yet; its API routes answer 501\n")
    sys.exit(3)


if __name__ == "__main__":
    main()
