#include "tooltip_wrapper.h"

#include <QApplication>
#include <QEvent>
#include <QTextDocument>
#include <QWidget>

namespace rope {

void ToolTipWrapper::install() {
  static ToolTipWrapper* installed = nullptr;
  if (installed || !qApp) return;
  installed = new ToolTipWrapper(qApp);
  qApp->installEventFilter(installed);
}

QString ToolTipWrapper::wrapped(const QString& text) {
  if (text.size() <= kWrapAbove || Qt::mightBeRichText(text)) return text;
  // pre-wrap keeps the line breaks the text has and wraps the long lines.
  return "<p style=\"white-space:pre-wrap\">" + text.toHtmlEscaped() + "</p>";
}

bool ToolTipWrapper::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() == QEvent::ToolTipChange && watched->isWidgetType()) {
    auto* widget = static_cast<QWidget*>(watched);
    const QString text = widget->toolTip();
    const QString rich = wrapped(text);
    if (rich != text) widget->setToolTip(rich);  // rich text: no second change
  }
  return QObject::eventFilter(watched, event);
}

}  // namespace rope
