// rope-workbench: the Qt GUI. Everything but QApplication lives in ropegui (launch.cpp).
#include <QApplication>
#include <clocale>

#include "launch.h"
#include "settings_keys.h"
#include "util/blas_kernels.h"

int main(int argc, char** argv) {
  rope::reexecWithBetterBlas(argv);  // before anything else: it may start the program again
  // Before QApplication: --help needs no display, --screenshot may choose the offscreen one.
  if (const auto done = rope::prepareLaunch(rope::argumentsOf(argc, argv))) return *done;
  QApplication app(argc, argv);
  // QApplication took the user's locale for the C library too (setlocale(LC_ALL, "")): core
  // writes and reads numbers with printf and strtod (logs, CSV), which must stay in the C
  // notation whatever the desktop's language.
  std::setlocale(LC_NUMERIC, "C");
  QApplication::setOrganizationName(rope::settings::kOrganization);
  QApplication::setApplicationName(rope::settings::kApplication);
  // The installed desktop entry (packaging/), so that shells show its name and icon.
  QApplication::setDesktopFileName("io.github.ropeworkbench.RopeWorkbench");
  return rope::runWorkbench(QApplication::arguments());
}
