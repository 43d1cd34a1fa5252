#include "cli/berth/confirm.hpp"

#include <cstdio>
#include <iostream>

namespace berth::cli {

bool confirm(const std::string& warning) {
  std::printf("%s\nAre you sure you want to continue? [y/N] ", warning.c_str());
  std::fflush(stdout);
  std::string answer;
  if (!std::getline(std::cin, answer)) answer.clear();
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace berth::cli
