#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    return egresswatch::cli::run(argc, argv, std::cout, std::cerr);
}
