#pragma once
// Long plain-text tooltips become rich text, which Qt wraps at a readable width instead of
// drawing one line across the screen. install() puts one filter on the application; every
// widget's tooltip set afterwards is wrapped as it is set. GUI thread only.

#include <QObject>
#include <QString>

namespace rope {

class ToolTipWrapper : public QObject {
  Q_OBJECT
 public:
  static constexpr int kWrapAbove = 60;  // characters; shorter tooltips stay as they are

  // Installs the filter on the application once (later calls do nothing).
  static void install();
  // The text as Qt shows it wrapped: rich text for long plain text, else unchanged.
  static QString wrapped(const QString& text);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  using QObject::QObject;
};

}  // namespace rope
