// rope-workbench: the Qt GUI. Everything but QApplication lives in ropegui (launch.cpp).
#include <QApplication>

#include "launch.h"
#include "settings_keys.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(rope::settings::kOrganization);
  QApplication::setApplicationName(rope::settings::kApplication);
  return rope::runWorkbench(QApplication::arguments());
}
