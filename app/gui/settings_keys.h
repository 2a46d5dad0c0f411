#pragma once
// Every QSettings key of the workbench, declared once. Values: geometry/state QByteArray,
// recent files QStringList, the rest as noted.

namespace rope::settings {

inline constexpr char kOrganization[] = "rope-workbench";
inline constexpr char kApplication[] = "RoPE Workbench";

inline constexpr char kGeometry[] = "mainWindow/geometry";
inline constexpr char kWindowState[] = "mainWindow/state";
inline constexpr char kCurrentTab[] = "mainWindow/currentTab";        // int
inline constexpr char kRecentFiles[] = "files/recent";                // QStringList
inline constexpr char kRecentDatasets[] = "files/recentDatasets";    // QStringList
inline constexpr char kDevice[] = "jobs/device";                      // QString, "cpu"|"cuda"
inline constexpr char kDtype[] = "jobs/dtype";                        // QString, "float32"...
inline constexpr char kLastDirectory[] = "files/lastDirectory";       // QString
inline constexpr char kLogScale[] = "editor/logScale";                // bool
inline constexpr char kEnforceMonotone[] = "editor/enforceMonotone";  // bool
inline constexpr char kSpectrumView[] = "spectrum/view";              // int, tab index

inline constexpr int kMaxRecentFiles = 8;

// The session autosaved while there is unsaved work, in QStandardPaths::AppDataLocation.
inline constexpr char kRecoveryFile[] = "recovery.rope.json";

}  // namespace rope::settings
