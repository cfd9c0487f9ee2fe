#include <cstdio>
int main() {
  std::puts("tradesentry " TS_VERSION);
  return 0;
}
