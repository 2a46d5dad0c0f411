#include "workbench_resources.h"

#include <QFile>

namespace rope {

QString formulasHtml() {
  QFile file(":/formulas.html");
  if (!file.open(QIODevice::ReadOnly))
    return QString("<p>The formulas page is missing from this build.</p>");
  return QString::fromUtf8(file.readAll());
}

QIcon workbenchIcon() { return QIcon(":/icons/rope-workbench.svg"); }

}  // namespace rope
