#pragma once
// The rope-workbench command line and what it does, shared by main() and the tests:
//   rope-workbench [--model DIR|config.json] [--session FILE] [--recipe DIR]
//                  [--screenshot FILE [--tab NAME] [--run]]
// Errors (bad options, a model, session or recipe folder that does not load) print one
// message and give exit code 1. --help prints without a display, and --screenshot needs none.

#include <QString>
#include <QStringList>
#include <optional>

namespace rope {

class MainWindow;

struct LaunchOptions {
  QString model;       // a HF model folder or config.json
  QString session;     // a project JSON
  QString recipe;      // a recipe's folder for the Recipe tab (its tab unless --tab says)
  QString screenshot;  // render the window to this PNG and exit
  QString tab = "factors";
  bool run = false;  // with screenshot: run the job tab's job first (its default settings)
};

// arguments as QCoreApplication::arguments() (program name first). --help prints usage into
// *error and returns nullopt too. Needs no QApplication.
std::optional<LaunchOptions> parseLaunchOptions(const QStringList& arguments, QString* error);

// argv as QCoreApplication::arguments() gives it, before there is one.
QStringList argumentsOf(int argc, char** argv);

// What main() does before QApplication exists. Returns the exit code when the program is done:
// --help (usage on stdout, 0), or a usage error while there is no display to start Qt on (1).
// Otherwise returns nullopt, having chosen Qt's offscreen platform for --screenshot when there
// is no display ($DISPLAY, $WAYLAND_DISPLAY) and $QT_QPA_PLATFORM is not set; main() then
// creates QApplication and calls runWorkbench(QApplication::arguments()), which reads the
// options again once Qt has taken its own (-platform, -style, ...) out.
std::optional<int> prepareLaunch(const QStringList& arguments);

// Loads the model, then the session, into the window. Throws InputError.
void applyLaunchOptions(MainWindow& window, const LaunchOptions& options);

// Renders the shown window to a PNG (all plots replotted first).
bool saveScreenshot(MainWindow& window, const QString& path, QString* error);

// The whole program after QApplication exists: returns the exit code.
int runWorkbench(const QStringList& arguments);

}  // namespace rope
