#include "launch.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QEventLoop>
#include <QFileInfo>
#include <QMessageBox>
#include <QPixmap>
#include <QTimer>
#include <cstdio>
#include <exception>

#include "job_frame.h"
#include "main_window.h"
#include "recipe/record.h"
#include "recipe_panel.h"
#include "session_guard.h"
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

bool wantsHelp(const QStringList& arguments) {
  return arguments.contains("--help") || arguments.contains("-h") ||
         arguments.contains("--help-all");
}

bool hasDisplay() {
  return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
}

}  // namespace

std::optional<LaunchOptions> parseLaunchOptions(const QStringList& arguments, QString* error) {
  QCommandLineParser parser;
  // Without a QCoreApplication (prepareLaunch) Qt's usage line names no program.
  const QString program =
      arguments.isEmpty() ? QString("rope-workbench") : QFileInfo(arguments.front()).fileName();
  parser.setApplicationDescription(
      "RoPE Workbench: explore how to extend the context window of RoPE language models.");
  parser.addHelpOption();
  const QCommandLineOption model(
      "model", "Open a Hugging Face model folder or config.json (default: the demo model).", "DIR");
  const QCommandLineOption session("session", "Open a session (project JSON).", "FILE");
  const QCommandLineOption screenshot("screenshot", "Render the window to a PNG and exit.", "FILE");
  const QCommandLineOption tab(
      "tab", "Tab for --screenshot: " + MainWindow::tabNames().join(", ") + ".", "NAME", "factors");
  const QCommandLineOption recipe(
      "recipe",
      "Open a recipe's folder (rope-cli extend --out DIR) in the Recipe tab: its options, "
      "stages, costs and curves, and the model it ran on unless --model or --session names "
      "one.",
      "DIR");
  const QCommandLineOption run("run",
                               "With --screenshot and a job tab (attention, passkey, perplexity, "
                               "search, recipe): run its job with the tab's settings and take the "
                               "screenshot when it ends.");
  parser.addOptions({model, session, recipe, screenshot, tab, run});
  auto usage = [&] { return parser.helpText().replace("<executable_name>", program); };
  if (!parser.parse(arguments)) {
    *error = parser.errorText() + "\n" + usage();
    return std::nullopt;
  }
  if (parser.isSet("help") || parser.isSet("help-all")) {
    *error = usage();
    return std::nullopt;
  }
  if (!parser.positionalArguments().isEmpty()) {
    *error = "unexpected argument '" + parser.positionalArguments().front() + "'\n" + usage();
    return std::nullopt;
  }
  LaunchOptions o;
  o.model = parser.value(model);
  o.session = parser.value(session);
  o.screenshot = parser.value(screenshot);
  o.recipe = parser.value(recipe);
  // A recipe opens on its tab unless another is asked for.
  o.tab = !o.recipe.isEmpty() && !parser.isSet(tab) ? QString("recipe") : parser.value(tab);
  o.run = parser.isSet(run);
  if (!MainWindow::tabNames().contains(o.tab)) {
    *error = QString("unknown tab '%1' (use %2)").arg(o.tab, MainWindow::tabNames().join(", "));
    return std::nullopt;
  }
  if (o.run && (o.screenshot.isEmpty() || !MainWindow::jobTabNames().contains(o.tab))) {
    *error = QString("--run needs --screenshot and a job tab (%1)")
                 .arg(MainWindow::jobTabNames().join(", "));
    return std::nullopt;
  }
  return o;
}

void applyLaunchOptions(MainWindow& window, const LaunchOptions& options) {
  std::optional<recipe::Record> record;
  if (!options.recipe.isEmpty()) record = recipe::readRecord(options.recipe.toStdString());
  // The model a recipe ran on, where it still is (Resume needs it).
  const QString ranOn = record ? QString::fromStdString(record->options.modelDir) : QString();
  if (!options.model.isEmpty()) {
    window.session()->loadModel(QString::fromStdString(resolveModel(options.model.toStdString())));
  } else if (options.session.isEmpty() && !ranOn.isEmpty() &&
             QFileInfo::exists(ranOn + "/config.json")) {
    window.session()->loadModel(ranOn);
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
  if (record) window.recipePanel()->openRecord(*record);
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

QStringList argumentsOf(int argc, char** argv) {
  QStringList arguments;
  for (int i = 0; i < argc; ++i) arguments << QString::fromLocal8Bit(argv[i]);
  return arguments;
}

std::optional<int> prepareLaunch(const QStringList& arguments) {
  QString error;
  const auto options = parseLaunchOptions(arguments, &error);
  if (!options && wantsHelp(arguments)) {
    std::fprintf(stdout, "%s", qPrintable(error));
    return 0;
  }
  if (!options && !hasDisplay()) {
    printError(error);
    return 1;
  }
  if (options && !options->screenshot.isEmpty() && !hasDisplay() &&
      qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
  }
  return std::nullopt;
}

int runWorkbench(const QStringList& arguments) {
  QString error;
  const auto options = parseLaunchOptions(arguments, &error);
  if (!options) {
    printError(error);
    return wantsHelp(arguments) ? 0 : 1;
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
    if (!options->recipe.isEmpty()) window.selectTab(options->tab);
    window.show();
    // Work the last run could not save (it crashed or was killed) comes back if wanted.
    QTimer::singleShot(0, &window, [&window] { window.guard()->offerRecovery(); });
    return QApplication::exec();
  }
  window.selectTab(options->tab);
  window.show();
  if (options->run) {
    // The job's end, then the screenshot; a job that fails still shows why.
    JobFrame* frame = window.jobFrame(options->tab);
    QEventLoop job;
    QObject::connect(frame, &JobFrame::ended, &job, [&job] { job.exit(0); });
    QTimer::singleShot(kScreenshotDelayMs, frame, [frame] { emit frame->runRequested(); });
    job.exec();
  }
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
