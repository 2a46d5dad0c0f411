#pragma once
// The llama.cpp and vLLM command lines of the active set in a selectable text field with a
// Copy button (File > Export active set as > llama.cpp / vLLM options).

#include <QDialog>

class QPlainTextEdit;
class QPushButton;

namespace rope {

class RuntimeOptionsDialog : public QDialog {
  Q_OBJECT
 public:
  explicit RuntimeOptionsDialog(const QString& text, QWidget* parent = nullptr);

  QString text() const;
  // Puts the whole text on the clipboard (the Copy button).
  void copy();

  QPlainTextEdit* textField() const { return m_text; }
  QPushButton* copyButton() const { return m_copy; }

 private:
  QPlainTextEdit* m_text = nullptr;
  QPushButton* m_copy = nullptr;
};

}  // namespace rope
