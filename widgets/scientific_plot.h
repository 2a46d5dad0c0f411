#pragma once
// ScientificPlot: the one wrapper around QCustomPlot (the only file that includes
// qcustomplot.h). Curves, reference lines and a heatmap, linear or log axes, hover tooltips,
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
  QVector<double> curveX(int curve) const;
  QVector<double> curveY(int curve) const;

  void addHorizontalLine(double y, const QString& label, const QColor& color);
  void addVerticalLine(double x, const QString& label, const QColor& color);
  void setHeatmap(const HeatmapData& data);
  bool hasHeatmap() const;

  void setTitle(const QString& title);
  QString title() const;  // empty when none was set
  void setAxisLabels(const QString& x, const QString& y);
  // Text ticks at the given positions (categories, e.g. a heatmap's lengths); empty positions
  // give linear number ticks back. tickLabels() reads them back (tests).
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
  void setLegendVisible(bool visible);
  // Corner of the plot area that holds the legend (default top left).
  void setLegendCorner(Qt::Alignment corner);
  // Range drag with the mouse (zoom with the wheel stays on). Off while a point is dragged.
  void setRangeDragEnabled(bool enabled);

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

 private:
  void onMouseMove(QMouseEvent* event);
  QString defaultTooltip(const PlotPoint& point) const;

  QCustomPlot* m_plot = nullptr;
  QTimer* m_replotTimer = nullptr;
  std::function<QString(const PlotPoint&)> m_tooltipFormatter;
  int m_replotCount = 0;
  bool m_rangeDrag = true;
};

}  // namespace rope
