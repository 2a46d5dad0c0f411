#include "launch.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QEventLoop>
#include <QMessageBox>
#include <QPixmap>
#include <QTimer>
#include <cstdio>
#include <exception>

#include "main_window.h"
#include "train/demo_assets.h"
#include "util/error.h"
#include "workbench_session.h"

namespace rope {
namespace {

// Long enough for the first show, layout and resize events to be handled.
constexpr int kScreenshotDelayMs = 150;

void printError(const QString& message) {
  std::fprintf(stderr, "rope-workbench: %s\n", qPrintable(message));
}

}  // namespace

std::optional<LaunchOptions> parseLaunchOptions(const QStringList& arguments, QString* error) {
  QCommandLineParser parser;
  parser.setApplicationDescription(
      "RoPE Workbench: explore how to extend the context window of RoPE language models.");
  parser.addHelpOption();
  const QCommandLineOption model(
      "model", "Open a Hugging Face model folder or config.json (default: the demo model).", "DIR");
  const QCommandLineOption session("session", "Open a session (project JSON).", "FILE");
  const QCommandLineOption screenshot("screenshot", "Render the window to a PNG and exit.", "FILE");
  const QCommandLineOption tab(
      "tab", "Tab for --screenshot: " + MainWindow::tabNames().join(", ") + ".", "NAME", "factors");
  parser.addOptions({model, session, screenshot, tab});
  if (!parser.parse(arguments)) {
    *error = parser.errorText() + "\n" + parser.helpText();
    return std::nullopt;
  }
  if (parser.isSet("help")) {
    *error = parser.helpText();
    return std::nullopt;
  }
  if (!parser.positionalArguments().isEmpty()) {
    *error =
        "unexpected argument '" + parser.positionalArguments().front() + "'\n" + parser.helpText();
    return std::nullopt;
  }
  LaunchOptions o;
  o.model = parser.value(model);
  o.session = parser.value(session);
  o.screenshot = parser.value(screenshot);
  o.tab = parser.value(tab);
  if (!MainWindow::tabNames().contains(o.tab)) {
    *error = QString("unknown tab '%1' (use %2)").arg(o.tab, MainWindow::tabNames().join(", "));
    return std::nullopt;
  }
  return o;
}

void applyLaunchOptions(MainWindow& window, const LaunchOptions& options) {
  if (!options.model.isEmpty()) {
    window.session()->loadModel(QString::fromStdString(resolveModel(options.model.toStdString())));
  } else if (options.session.isEmpty()) {
    // No model named: the bundled demo model; without it (ROPE_DEMO_MODEL pointing nowhere)
    // the built-in default RoPE, which the window labels as such.
    try {
      window.session()->loadModel(QString::fromStdString(demoModelDir()));
    } catch (const InputError& e) {
      printError(QString::fromStdString(e.what()));
    }
  }
  if (!options.session.isEmpty()) window.session()->loadSession(options.session);
}

bool saveScreenshot(MainWindow& window, const QString& path, QString* error) {
  window.flushPlots();
  const QPixmap pixmap = window.grab();
  if (pixmap.isNull() || !pixmap.save(path, "PNG")) {
    *error = QString("%1: could not write the screenshot").arg(path);
    return false;
  }
  return true;
}

int runWorkbench(const QStringList& arguments) {
  QString error;
  const auto options = parseLaunchOptions(arguments, &error);
  if (!options) {
    printError(error);
    return arguments.contains("--help") || arguments.contains("-h") ? 0 : 1;
  }
  const bool screenshot = !options->screenshot.isEmpty();
  MainWindow window;
  try {
    applyLaunchOptions(window, *options);
  } catch (const std::exception& e) {
    printError(QString::fromUtf8(e.what()));
    if (!screenshot) QMessageBox::critical(nullptr, "RoPE Workbench", QString::fromUtf8(e.what()));
    return 1;
  }
  if (!screenshot) {
    window.restoreSettings();
    window.show();
    return QApplication::exec();
  }
  window.selectTab(options->tab);
  window.show();
  QEventLoop loop;
  QTimer::singleShot(kScreenshotDelayMs, &window, [&] {
    QString shotError;
    const bool ok = saveScreenshot(window, options->screenshot, &shotError);
    if (!ok) printError(shotError);
    loop.exit(ok ? 0 : 1);
  });
  return loop.exec();
}

}  // namespace rope
