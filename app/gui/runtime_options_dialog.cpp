#include "runtime_options_dialog.h"

#include <QClipboard>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace rope {

RuntimeOptionsDialog::RuntimeOptionsDialog(const QString& text, QWidget* parent)
    : QDialog(parent), m_text(new QPlainTextEdit(text)), m_copy(new QPushButton("Copy")) {
  setWindowTitle("llama.cpp / vLLM options");
  m_text->setReadOnly(true);
  m_text->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
  m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  m_text->setLineWrapMode(QPlainTextEdit::WidgetWidth);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
  buttons->addButton(m_copy, QDialogButtonBox::ActionRole);
  connect(m_copy, &QPushButton::clicked, this, &RuntimeOptionsDialog::copy);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(new QLabel("Command-line options that run the model with the active set:"));
  layout->addWidget(m_text, 1);
  layout->addWidget(buttons);
  resize(760, 360);
}

QString RuntimeOptionsDialog::text() const { return m_text->toPlainText(); }

void RuntimeOptionsDialog::copy() {
  QGuiApplication::clipboard()->setText(text());
  m_copy->setText("Copied");
}

}  // namespace rope
