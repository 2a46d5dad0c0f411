#pragma once
// Access to the files compiled into the workbench (resources/*.qrc via qt_add_resources).

#include <QIcon>
#include <QString>

namespace rope {

// The Help > Formulas page: every RoPE scaling method with its source (HTML).
QString formulasHtml();
QIcon workbenchIcon();

}  // namespace rope
