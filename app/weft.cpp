// weft: the single binary. Everything lives in the weft_core library; this is only the door.
#include "cli/cli.hpp"

int main(int argc, char** argv) { return weft::cli::run(argc, argv); }
