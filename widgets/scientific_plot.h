#pragma once
// ScientificPlot: the one wrapper around QCustomPlot (its scientific_plot*.cpp files are the
// only ones that include qcustomplot.h). Curves, reference lines and a heatmap with its colour
// bar, linear or log axes with readable ticks (plot_ticks.h), a legend outside the data, hover
// tooltips and a crosshair readout, zoom (wheel) and pan (drag) with a reset (double-click),
// linked axes, equal aspect, a hint while empty, a caption linking to the formulas page, and
// export to PNG/SVG/PDF. Data changes schedule a replot that a short single-shot timer
// coalesces; replotNow() flushes it (screenshots, tests). GUI thread only.

#include <QColor>
#include <QPointF>
#include <QString>
#include <QVector>
#include <QWidget>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QCustomPlot;
class QCPColorScale;
class QCPItemStraightLine;
class QCPItemText;
class QLabel;
class QTimer;
class QMouseEvent;

namespace rope {

enum class AxisScale { Linear, Log };

struct CurveStyle {
  QColor color = Qt::black;
  double width = 1.6;
  Qt::PenStyle penStyle = Qt::SolidLine;
  bool line = true;      // connect the points
  double pointSize = 0;  // > 0: draw a disc at every point
  bool inLegend = true;
};

// A point under the mouse: a curve sample (curve >= 0) or a heatmap cell (curve == -1).
struct PlotPoint {
  int curve = -1;
  int index = -1;
  double x = 0;
  double y = 0;
  double value = 0;  // heatmap cell value
};

// Heatmap cells: values[ix * ny + iy] at x in [xMin, xMax], y in [yMin, yMax] (cell centres).
struct HeatmapData {
  int nx = 0;
  int ny = 0;
  double xMin = 0, xMax = 1, yMin = 0, yMax = 1;
  std::vector<double> values;
  double zMin = -1, zMax = 1;
  std::vector<std::pair<double, QColor>> gradientStops;  // positions in [0, 1]
  AxisScale zScale = AxisScale::Linear;  // Log: colours by log(value); needs zMin > 0
  QColor nanColor;                       // cells holding NaN (masked); invalid: transparent
  bool colorBar = true;                  // a colour bar right of the map
  QString zLabel;                        // the colour bar's title: quantity and units
  // What the bar shows when the cells encode more than one quantity (the cos map's seen and
  // unseen halves): its range and stops; empty barStops: the cells' own scale.
  double barMin = 0, barMax = 1;
  std::vector<std::pair<double, QColor>> barStops;
};

class ScientificPlot : public QWidget {
  Q_OBJECT
 public:
  static constexpr int kReplotDelayMs = 15;

  explicit ScientificPlot(QWidget* parent = nullptr);
  ~ScientificPlot() override;

  // Removes curves, reference lines, labels and the heatmap.
  void clear();
  int addCurve(const QString& name, const QVector<double>& x, const QVector<double>& y,
               const CurveStyle& style);
  void setCurveData(int curve, const QVector<double>& x, const QVector<double>& y);
  int curveCount() const;
  QString curveName(int curve) const;
  QColor curveColor(int curve) const;  // its pen's; invalid when there is no such curve
  QVector<double> curveX(int curve) const;
  QVector<double> curveY(int curve) const;

  void addHorizontalLine(double y, const QString& label, const QColor& color);
  void addVerticalLine(double x, const QString& label, const QColor& color);
  // Text centred at a point in plot coordinates (a heatmap cell's value); clear() removes it.
  void addLabel(const QPointF& at, const QString& text, const QColor& color);
  QStringList labels() const;  // the texts of addLabel, in order (tests)
  void setHeatmap(const HeatmapData& data);
  bool hasHeatmap() const;
  // The colour bar of the heatmap (tests): shown, its title, range and scale.
  bool hasColorBar() const;
  QString colorBarLabel() const;
  std::pair<double, double> colorBarRange() const;
  AxisScale colorBarScale() const;

  void setTitle(const QString& title);
  QString title() const;  // empty when none was set
  void setAxisLabels(const QString& x, const QString& y);
  QString axisLabel(Qt::Orientation axis) const;
  // Text ticks at the given positions (categories, e.g. a heatmap's lengths); empty positions
  // give linear number ticks back. tickLabels() reads them back (tests): the text ticks, else
  // the labels of the ticks drawn by the last replot.
  void setTickLabels(Qt::Orientation axis, const QVector<double>& positions,
                     const QStringList& labels);
  QStringList tickLabels(Qt::Orientation axis) const;
  void setXScale(AxisScale scale);
  void setYScale(AxisScale scale);
  AxisScale yScale() const;
  void setXRange(double lower, double upper);
  void setYRange(double lower, double upper);
  std::pair<double, double> yRange() const;
  std::pair<double, double> xRange() const;
  // Fits the axes to the curves (and heatmap); log axes ignore non-positive values.
  void rescaleAxes();
  // The legend sits below the plot area (it never covers data); hidden while empty.
  void setLegendVisible(bool visible);
  // Entries per legend row (4 unless set; fewer for long names in a narrow plot).
  void setLegendColumns(int columns);
  bool legendShown() const;  // visible with at least one entry (tests)
  // Widget rectangles of the plot area and the legend at the last replot (tests).
  QRect plotArea() const;
  QRect legendArea() const;
  // Range drag with the mouse (zoom with the wheel stays on). Off while a point is dragged.
  void setRangeDragEnabled(bool enabled);

  // Back to the view that the last rescaleAxes() / setXRange() / setYRange() set (what the
  // user's zoom and pan left); double-click and the context menu call it.
  void resetView();
  // Keeps this plot's x and/or y range equal to other's, both ways (plots sharing an axis).
  void linkAxes(ScientificPlot* other, Qt::Orientations axes);
  // Equal data units per pixel on x and y (attention maps: square cells): the plot area is
  // narrowed or shortened inside the widget at every replot.
  void setEqualAspect(bool equal);
  double plotAreaAspect() const;  // width / height of the plot area at the last replot
  // Crosshair and readout (x, y or the heatmap cell's value) under the mouse; on by default.
  void setCrosshairEnabled(bool enabled);
  QString readoutText() const;  // the readout at the last mouse move; empty outside the data
  // Text in the middle of the plot area while it holds no curve or heatmap (the axes and
  // the legend are hidden then); empty: none.
  void setEmptyHint(const QString& hint);
  bool showsEmptyHint() const;  // at the last replot
  // One line under the plot saying what to look for; a non-empty anchor adds a link that
  // emits captionLinkActivated(anchor) (a section of the formulas page).
  void setCaption(const QString& text, const QString& anchor = {});
  QString caption() const;
  QString captionAnchor() const;

  // Coalesced replot: many calls within kReplotDelayMs give one replot.
  void scheduleReplot();
  void replotNow();
  bool replotPending() const;
  int replotCount() const { return m_replotCount; }

  // Nearest curve sample within maxPixels of a widget position (only curve `onlyCurve` when
  // >= 0), else the heatmap cell under it.
  std::optional<PlotPoint> pointAt(const QPointF& pixel, double maxPixels,
                                   int onlyCurve = -1) const;
  QPointF pixelToCoord(const QPointF& pixel) const;
  QPointF coordToPixel(const QPointF& coord) const;
  // The widget that receives mouse events (tests send events to it).
  QWidget* canvas() const;

  // Hover tooltip text for a point; the default shows the curve name and x, y.
  void setTooltipFormatter(std::function<QString(const PlotPoint&)> formatter);
  // The hover tooltip at a widget position (empty when nothing is under it).
  QString tooltipAt(const QPointF& pixel) const;
  static constexpr double kHoverPixels = 8.0;

  // PNG, SVG or PDF by the file's suffix; width/height 0 use the widget's size.
  bool exportTo(const QString& path, int width, int height, QString* error) const;
  static QStringList exportSuffixes() { return {"png", "svg", "pdf"}; }

 signals:
  void mousePressed(QPointF pixel, Qt::MouseButton button);
  void mouseMoved(QPointF pixel, Qt::MouseButtons buttons);
  void mouseReleased(QPointF pixel, Qt::MouseButton button);
  void replotted();
  void captionLinkActivated(QString anchor);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void onMouseMove(QMouseEvent* event);
  QString defaultTooltip(const PlotPoint& point) const;
  bool isEmpty() const;
  void updateEmptyState();
  void fitAspect();
  void updateCrosshair(const QPointF& pixel);
  void hideCrosshair();
  QString axisValueText(Qt::Orientation axis, double value) const;
  void rememberHome();

  QCustomPlot* m_plot = nullptr;
  QTimer* m_replotTimer = nullptr;
  QLabel* m_caption = nullptr;
  QCPColorScale* m_colorScale = nullptr;
  // Items that clear() deletes; null until made again.
  QCPItemText* m_hint = nullptr;
  QCPItemStraightLine* m_crossX = nullptr;
  QCPItemStraightLine* m_crossY = nullptr;
  QCPItemText* m_readout = nullptr;
  std::function<QString(const PlotPoint&)> m_tooltipFormatter;
  QString m_emptyHint;
  QString m_readoutText;
  int m_replotCount = 0;
  bool m_rangeDrag = true;
  bool m_legendWanted = true;
  bool m_equalAspect = false;
  bool m_crosshair = true;
  bool m_showsHint = false;
  bool m_hasHome = false;
  std::pair<double, double> m_homeX{0, 1}, m_homeY{0, 1};
};

}  // namespace rope
