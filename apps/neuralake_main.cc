// The `neuralake` command: a thin main over the cli library, so commands are testable in-process.
#include "neuralake/cli/cli.h"

int main(int argc, char** argv) { return neuralake::cli::Main(argc, argv); }
