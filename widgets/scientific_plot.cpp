#include "scientific_plot.h"

#include <qcustomplot.h>

#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QSvgGenerator>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>

#include "plot_ticks.h"
#include "scientific_plot_internal.h"

namespace rope {
namespace {

QCPColorMap* findHeatmap(QCustomPlot* plot) {
  for (int i = 0; i < plot->plottableCount(); ++i) {
    if (auto* map = qobject_cast<QCPColorMap*>(plot->plottable(i))) return map;
  }
  return nullptr;
}

// Log ticks that read as numbers (plot_ticks.h) instead of QCustomPlot's "4·10¹".
class ReadableLogTicker : public QCPAxisTicker {
 protected:
  QVector<double> createTickVector(double, const QCPRange& range) override {
    m_ticks = readableLogTicks(range.lower, range.upper);
    return QVector<double>(m_ticks.ticks.begin(), m_ticks.ticks.end());
  }
  int getSubTickCount(double) override {
    // 2..9 times each power of ten, when the ticks are consecutive powers of ten.
    const auto& t = m_ticks.ticks;
    const bool decades =
        m_ticks.kind == LogTicks::Decades && (t.size() < 2 || std::abs(t[1] / t[0] - 10) < 1e-6);
    return decades ? 8 : 0;
  }
  QString getTickLabel(double tick, const QLocale&, QChar, int) override {
    return readableTickLabel(tick, m_ticks);
  }

 private:
  LogTicks m_ticks;
};

}  // namespace

void applyAxisScale(QCPAxis* axis, AxisScale scale) {
  if (scale == AxisScale::Log) {
    axis->setScaleType(QCPAxis::stLogarithmic);
    axis->setTicker(QSharedPointer<QCPAxisTicker>(new ReadableLogTicker));
    axis->setNumberFormat("g");
  } else {
    axis->setScaleType(QCPAxis::stLinear);
    axis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    axis->setNumberFormat("gb");
    axis->setNumberPrecision(6);
  }
}

namespace {

QString number(double v) { return QString::number(v, 'g', 6); }

// The row of the plot layout that holds the axis rect (a title row may sit above it).
int axisRectRow(QCustomPlot* plot) {
  for (int r = 0; r < plot->plotLayout()->rowCount(); ++r) {
    if (plot->plotLayout()->element(r, 0) == plot->axisRect()) return r;
  }
  return 0;
}

QCPColorGradient gradientOf(const std::vector<std::pair<double, QColor>>& stopList,
                            const QColor& nanColor) {
  QCPColorGradient gradient;
  QMap<double, QColor> stops;
  for (const auto& [pos, color] : stopList) stops.insert(pos, color);
  gradient.setColorStops(stops);
  gradient.setLevelCount(512);
  gradient.setNanHandling(QCPColorGradient::nhNanColor);
  gradient.setNanColor(nanColor.isValid() ? nanColor : QColor(Qt::transparent));
  return gradient;
}

}  // namespace

ScientificPlot::ScientificPlot(QWidget* parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_replotTimer(new QTimer(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  layout->addWidget(m_plot, 1);
  m_caption = new QLabel;
  m_caption->setWordWrap(true);
  m_caption->setContentsMargins(6, 0, 6, 2);
  m_caption->setVisible(false);
  layout->addWidget(m_caption);
  connect(m_caption, &QLabel::linkActivated, this, [this](const QString& link) {
    emit captionLinkActivated(link.startsWith('#') ? link.mid(1) : link);
  });
  setMinimumSize(240, 180);

  m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  m_plot->setMouseTracking(true);
  m_plot->installEventFilter(this);
  // The legend goes below the plot area (updateEmptyState), entries in rows of four: it never
  // covers data.
  m_plot->axisRect()->insetLayout()->take(m_plot->legend);
  m_plot->axisRect()->insetLayout()->simplify();
  m_plot->plotLayout()->setRowSpacing(0);
  m_plot->legend->setVisible(false);
  m_plot->legend->setFont(QFont(font().family(), 8));
  m_plot->legend->setBorderPen(Qt::NoPen);
  m_plot->legend->setBrush(Qt::NoBrush);
  m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  m_plot->legend->setWrap(4);
  m_plot->legend->setMargins(QMargins(4, 0, 4, 2));
  m_plot->layer("overlay")->setMode(QCPLayer::lmBuffered);
  m_plot->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(m_plot, &QWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
    auto* menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addAction("Reset view (double-click)", this, &ScientificPlot::resetView);
    menu->popup(m_plot->mapToGlobal(pos));
  });
  connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] { resetView(); });
  // Every replot, QCustomPlot's own after a resize, zoom or pan included, keeps the aspect.
  connect(m_plot, &QCustomPlot::beforeReplot, this, [this] {
    if (m_equalAspect) fitAspect();
  });

  m_replotTimer->setSingleShot(true);
  m_replotTimer->setInterval(kReplotDelayMs);
  connect(m_replotTimer, &QTimer::timeout, this, &ScientificPlot::replotNow);

  connect(m_plot, &QCustomPlot::mousePress, this,
          [this](QMouseEvent* e) { emit mousePressed(e->position(), e->button()); });
  connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) { onMouseMove(e); });
  connect(m_plot, &QCustomPlot::mouseRelease, this,
          [this](QMouseEvent* e) { emit mouseReleased(e->position(), e->button()); });
}

ScientificPlot::~ScientificPlot() = default;

void ScientificPlot::clear() {
  m_plot->clearPlottables();
  m_plot->clearItems();
  m_hint = nullptr;
  m_crossX = m_crossY = nullptr;
  m_readout = nullptr;
  if (m_colorScale) {
    m_plot->plotLayout()->remove(m_colorScale);  // deletes it
    m_plot->plotLayout()->simplify();
    m_colorScale = nullptr;
  }
  scheduleReplot();
}

int ScientificPlot::addCurve(const QString& name, const QVector<double>& x,
                             const QVector<double>& y, const CurveStyle& style) {
  QCPGraph* graph = m_plot->addGraph();
  graph->setName(name);
  QPen pen(style.color, style.width, style.penStyle);
  graph->setPen(pen);
  graph->setLineStyle(style.line ? QCPGraph::lsLine : QCPGraph::lsNone);
  if (style.pointSize > 0) {
    graph->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssDisc, style.color, style.color, style.pointSize));
  }
  graph->setData(x, y, true);
  if (!style.inLegend) graph->removeFromLegend();
  scheduleReplot();
  return m_plot->graphCount() - 1;
}

void ScientificPlot::setCurveData(int curve, const QVector<double>& x, const QVector<double>& y) {
  if (curve < 0 || curve >= m_plot->graphCount()) return;
  m_plot->graph(curve)->setData(x, y, true);
  scheduleReplot();
}

int ScientificPlot::curveCount() const { return m_plot->graphCount(); }

QString ScientificPlot::curveName(int curve) const {
  return curve >= 0 && curve < m_plot->graphCount() ? m_plot->graph(curve)->name() : QString();
}

QColor ScientificPlot::curveColor(int curve) const {
  return curve >= 0 && curve < m_plot->graphCount() ? m_plot->graph(curve)->pen().color()
                                                    : QColor();
}

QVector<double> ScientificPlot::curveX(int curve) const {
  QVector<double> out;
  if (curve < 0 || curve >= m_plot->graphCount()) return out;
  for (const auto& d : *m_plot->graph(curve)->data()) out.push_back(d.key);
  return out;
}

QVector<double> ScientificPlot::curveY(int curve) const {
  QVector<double> out;
  if (curve < 0 || curve >= m_plot->graphCount()) return out;
  for (const auto& d : *m_plot->graph(curve)->data()) out.push_back(d.value);
  return out;
}

void ScientificPlot::addHorizontalLine(double y, const QString& label, const QColor& color) {
  auto* line = new QCPItemStraightLine(m_plot);
  line->setPen(QPen(color, 1.4, Qt::DashLine));
  line->point1->setTypeX(QCPItemPosition::ptAxisRectRatio);
  line->point2->setTypeX(QCPItemPosition::ptAxisRectRatio);
  line->point1->setCoords(0, y);
  line->point2->setCoords(1, y);
  if (!label.isEmpty()) {
    auto* text = new QCPItemText(m_plot);
    text->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    text->position->setCoords(0.99, y);
    text->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
    text->setText(label);
    text->setColor(color);
    text->setFont(QFont(font().family(), 8));
  }
  scheduleReplot();
}

void ScientificPlot::addVerticalLine(double x, const QString& label, const QColor& color) {
  auto* line = new QCPItemStraightLine(m_plot);
  line->setPen(QPen(color, 1.4, Qt::DashDotLine));
  line->point1->setTypeY(QCPItemPosition::ptAxisRectRatio);
  line->point2->setTypeY(QCPItemPosition::ptAxisRectRatio);
  line->point1->setCoords(x, 0);
  line->point2->setCoords(x, 1);
  if (!label.isEmpty()) {
    auto* text = new QCPItemText(m_plot);
    text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
    text->position->setCoords(x, 0.02);
    text->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    text->setPadding(QMargins(4, 0, 0, 0));
    text->setText(label);
    text->setColor(color);
    text->setFont(QFont(font().family(), 8));
  }
  scheduleReplot();
}

void ScientificPlot::addLabel(const QPointF& at, const QString& text, const QColor& color) {
  auto* item = new QCPItemText(m_plot);
  item->position->setCoords(at);
  item->setPositionAlignment(Qt::AlignCenter);
  item->setText(text);
  item->setColor(color);
  item->setFont(QFont(font().family(), 9));
  item->setProperty("cellLabel", true);
  scheduleReplot();
}

QStringList ScientificPlot::labels() const {
  QStringList out;
  for (int i = 0; i < m_plot->itemCount(); ++i) {
    const auto* text = qobject_cast<QCPItemText*>(m_plot->item(i));
    if (text && text->property("cellLabel").toBool()) out << text->text();
  }
  return out;
}

void ScientificPlot::setHeatmap(const HeatmapData& data) {
  QCPColorMap* map = findHeatmap(m_plot);
  if (!map) map = new QCPColorMap(m_plot->xAxis, m_plot->yAxis);
  map->data()->setSize(data.nx, data.ny);
  map->data()->setRange(QCPRange(data.xMin, data.xMax), QCPRange(data.yMin, data.yMax));
  for (int ix = 0; ix < data.nx; ++ix) {
    for (int iy = 0; iy < data.ny; ++iy) {
      map->data()->setCell(ix, iy, data.values[static_cast<size_t>(ix) * data.ny + iy]);
    }
  }
  map->setColorScale(nullptr);
  map->setGradient(gradientOf(data.gradientStops, data.nanColor));
  map->setInterpolate(false);
  map->setDataScaleType(data.zScale == AxisScale::Log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  map->setDataRange(QCPRange(data.zMin, data.zMax));
  map->removeFromLegend();
  if (data.colorBar && !m_colorScale) {
    m_colorScale = new QCPColorScale(m_plot);
    m_plot->plotLayout()->addElement(axisRectRow(m_plot), 1, m_colorScale);
    m_colorScale->setType(QCPAxis::atRight);
    m_colorScale->setBarWidth(12);
    m_colorScale->axis()->setLabelFont(QFont(font().family(), 8));
    m_colorScale->axis()->setTickLabelFont(QFont(font().family(), 8));
    // The bar spans the plot area's height exactly.
    auto* group = new QCPMarginGroup(m_plot);
    m_plot->axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, group);
    m_colorScale->setMarginGroup(QCP::msTop | QCP::msBottom, group);
  } else if (!data.colorBar && m_colorScale) {
    m_plot->plotLayout()->remove(m_colorScale);
    m_plot->plotLayout()->simplify();
    m_colorScale = nullptr;
  }
  if (m_colorScale) {
    m_colorScale->axis()->setLabel(data.zLabel);
    if (data.barStops.empty()) {
      // The map takes the bar's range, scale and colours, and follows them from now on.
      m_colorScale->setGradient(map->gradient());
      m_colorScale->setDataScaleType(map->dataScaleType());
      m_colorScale->setDataRange(map->dataRange());
      map->setColorScale(m_colorScale);
      applyAxisScale(m_colorScale->axis(), data.zScale);
    } else {
      m_colorScale->setDataScaleType(QCPAxis::stLinear);
      applyAxisScale(m_colorScale->axis(), AxisScale::Linear);
      m_colorScale->setGradient(gradientOf(data.barStops, {}));
      m_colorScale->setDataRange(QCPRange(data.barMin, data.barMax));
    }
  }
  scheduleReplot();
}

bool ScientificPlot::hasHeatmap() const { return findHeatmap(m_plot) != nullptr; }

bool ScientificPlot::hasColorBar() const { return m_colorScale != nullptr; }

QString ScientificPlot::colorBarLabel() const {
  return m_colorScale ? m_colorScale->axis()->label() : QString();
}

std::pair<double, double> ScientificPlot::colorBarRange() const {
  if (!m_colorScale) return {0, 0};
  return {m_colorScale->dataRange().lower, m_colorScale->dataRange().upper};
}

AxisScale ScientificPlot::colorBarScale() const {
  return m_colorScale && m_colorScale->dataScaleType() == QCPAxis::stLogarithmic
             ? AxisScale::Log
             : AxisScale::Linear;
}

void ScientificPlot::setTitle(const QString& title) {
  if (auto* t = qobject_cast<QCPTextElement*>(m_plot->plotLayout()->element(0, 0))) {
    t->setText(title);
  } else {
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->setRowStretchFactor(0, 0.001);
    m_plot->plotLayout()->addElement(
        0, 0, new QCPTextElement(m_plot, title, QFont(font().family(), 10, QFont::Bold)));
  }
  scheduleReplot();
}

QString ScientificPlot::title() const {
  const auto* t = qobject_cast<QCPTextElement*>(m_plot->plotLayout()->element(0, 0));
  return t ? t->text() : QString();
}

void ScientificPlot::setAxisLabels(const QString& x, const QString& y) {
  m_plot->xAxis->setLabel(x);
  m_plot->yAxis->setLabel(y);
  scheduleReplot();
}

QString ScientificPlot::axisLabel(Qt::Orientation axis) const {
  return (axis == Qt::Horizontal ? m_plot->xAxis : m_plot->yAxis)->label();
}

void ScientificPlot::setTickLabels(Qt::Orientation axis, const QVector<double>& positions,
                                   const QStringList& labels) {
  QCPAxis* a = axis == Qt::Horizontal ? m_plot->xAxis : m_plot->yAxis;
  if (positions.isEmpty()) {
    applyAxisScale(a, AxisScale::Linear);
  } else {
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    ticker->setTicks(positions, labels);
    a->setTicker(ticker);
  }
  scheduleReplot();
}

QStringList ScientificPlot::tickLabels(Qt::Orientation axis) const {
  const QCPAxis* a = axis == Qt::Horizontal ? m_plot->xAxis : m_plot->yAxis;
  const auto text = a->ticker().dynamicCast<QCPAxisTickerText>();
  if (text) return QStringList(text->ticks().values());
  QStringList shown;
  const QVector<double> ticks = a->tickVector();
  const QVector<QString> labels = a->tickVectorLabels();
  for (int i = 0; i < ticks.size() && i < labels.size(); ++i) {
    if (a->range().contains(ticks[i])) shown << labels[i];
  }
  return shown;
}

void ScientificPlot::setXScale(AxisScale scale) {
  applyAxisScale(m_plot->xAxis, scale);
  scheduleReplot();
}

void ScientificPlot::setYScale(AxisScale scale) {
  applyAxisScale(m_plot->yAxis, scale);
  scheduleReplot();
}

AxisScale ScientificPlot::yScale() const {
  return m_plot->yAxis->scaleType() == QCPAxis::stLogarithmic ? AxisScale::Log : AxisScale::Linear;
}

void ScientificPlot::setXRange(double lower, double upper) {
  m_plot->xAxis->setRange(lower, upper);
  rememberHome();
  scheduleReplot();
}

void ScientificPlot::setYRange(double lower, double upper) {
  m_plot->yAxis->setRange(lower, upper);
  rememberHome();
  scheduleReplot();
}

std::pair<double, double> ScientificPlot::xRange() const {
  return {m_plot->xAxis->range().lower, m_plot->xAxis->range().upper};
}

std::pair<double, double> ScientificPlot::yRange() const {
  return {m_plot->yAxis->range().lower, m_plot->yAxis->range().upper};
}

void ScientificPlot::rescaleAxes() {
  m_plot->rescaleAxes(true);
  // A little air around the data so that points on the edge stay grabbable.
  for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis}) {
    QCPRange r = axis->range();
    if (axis->scaleType() == QCPAxis::stLogarithmic) {
      if (r.lower <= 0) r.lower = 1e-3;
      const double span = std::max(r.upper / r.lower, 1.0001);
      axis->setRange(r.lower / std::pow(span, 0.05), r.upper * std::pow(span, 0.05));
    } else {
      const double pad = r.size() > 0 ? 0.04 * r.size() : std::max(0.05 * std::abs(r.lower), 0.5);
      axis->setRange(r.lower - pad, r.upper + pad);
    }
  }
  rememberHome();
  scheduleReplot();
}

void ScientificPlot::setLegendVisible(bool visible) {
  m_legendWanted = visible;
  scheduleReplot();
}

void ScientificPlot::setLegendColumns(int columns) {
  m_plot->legend->setWrap(std::max(1, columns));
  m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);  // re-flows the entries
  scheduleReplot();
}

QRect ScientificPlot::plotArea() const { return m_plot->axisRect()->rect(); }

QRect ScientificPlot::legendArea() const { return m_plot->legend->outerRect(); }

bool ScientificPlot::legendShown() const {
  return m_plot->legend->visible() && m_plot->legend->itemCount() > 0;
}

void ScientificPlot::setRangeDragEnabled(bool enabled) {
  m_rangeDrag = enabled;
  m_plot->setInteraction(QCP::iRangeDrag, enabled);
}

void ScientificPlot::scheduleReplot() {
  if (!m_replotTimer->isActive()) m_replotTimer->start();
}

void ScientificPlot::replotNow() {
  m_replotTimer->stop();
  updateEmptyState();
  m_plot->replot(QCustomPlot::rpQueuedRefresh);
  ++m_replotCount;
  emit replotted();
}

bool ScientificPlot::replotPending() const { return m_replotTimer->isActive(); }

std::optional<PlotPoint> ScientificPlot::pointAt(const QPointF& pixel, double maxPixels,
                                                 int onlyCurve) const {
  std::optional<PlotPoint> best;
  double bestDist = maxPixels;
  for (int c = 0; c < m_plot->graphCount(); ++c) {
    if (onlyCurve >= 0 && c != onlyCurve) continue;
    QCPGraph* g = m_plot->graph(c);
    if (!g->visible() || g->name().isEmpty()) continue;  // unnamed: range helpers
    int index = 0;
    for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it, ++index) {
      const QPointF p = g->coordsToPixels(it->key, it->value);
      const double dist = std::hypot(p.x() - pixel.x(), p.y() - pixel.y());
      if (dist <= bestDist) {
        bestDist = dist;
        best = PlotPoint{c, index, it->key, it->value, 0};
      }
    }
  }
  if (best || onlyCurve >= 0) return best;
  if (QCPColorMap* map = findHeatmap(m_plot)) {
    const QPointF c = pixelToCoord(pixel);
    int ix = 0, iy = 0;
    map->data()->coordToCell(c.x(), c.y(), &ix, &iy);
    if (ix >= 0 && iy >= 0 && ix < map->data()->keySize() && iy < map->data()->valueSize() &&
        m_plot->axisRect()->rect().contains(pixel.toPoint())) {
      double x = 0, y = 0;
      map->data()->cellToCoord(ix, iy, &x, &y);
      return PlotPoint{-1, ix * map->data()->valueSize() + iy, x, y, map->data()->cell(ix, iy)};
    }
  }
  return std::nullopt;
}

QPointF ScientificPlot::pixelToCoord(const QPointF& pixel) const {
  return {m_plot->xAxis->pixelToCoord(pixel.x()), m_plot->yAxis->pixelToCoord(pixel.y())};
}

QPointF ScientificPlot::coordToPixel(const QPointF& coord) const {
  return {m_plot->xAxis->coordToPixel(coord.x()), m_plot->yAxis->coordToPixel(coord.y())};
}

QWidget* ScientificPlot::canvas() const { return m_plot; }

void ScientificPlot::setTooltipFormatter(std::function<QString(const PlotPoint&)> formatter) {
  m_tooltipFormatter = std::move(formatter);
}

QString ScientificPlot::defaultTooltip(const PlotPoint& p) const {
  if (p.curve < 0) {
    return QString("x = %1\ny = %2\nvalue = %3")
        .arg(number(p.x), number(p.y), std::isnan(p.value) ? QString("masked") : number(p.value));
  }
  return QString("%1\nx = %2\ny = %3").arg(curveName(p.curve), number(p.x), number(p.y));
}

QString ScientificPlot::tooltipAt(const QPointF& pixel) const {
  const auto point = pointAt(pixel, kHoverPixels);
  if (!point) return {};
  return m_tooltipFormatter ? m_tooltipFormatter(*point) : defaultTooltip(*point);
}

bool ScientificPlot::exportTo(const QString& path, int width, int height, QString* error) const {
  const int w = width > 0 ? width : std::max(m_plot->width(), 640);
  const int h = height > 0 ? height : std::max(m_plot->height(), 400);
  const QString suffix = QFileInfo(path).suffix().toLower();
  bool ok = false;
  if (suffix == "png") {
    ok = m_plot->savePng(path, w, h);
  } else if (suffix == "pdf") {
    ok = m_plot->savePdf(path, w, h);
  } else if (suffix == "svg") {
    QSvgGenerator generator;
    generator.setFileName(path);
    generator.setSize(QSize(w, h));
    generator.setViewBox(QRect(0, 0, w, h));
    generator.setTitle("RoPE Workbench plot");
    QCPPainter painter;
    ok = painter.begin(&generator);
    if (ok) {
      m_plot->toPainter(&painter, w, h);
      ok = painter.end();
    }
    ok = ok && QFileInfo(path).size() > 0;
  } else {
    if (error)
      *error = QString("%1: unknown image type '%2' (use .png, .svg or .pdf)").arg(path, suffix);
    return false;
  }
  if (!ok && error) *error = QString("%1: could not write the plot").arg(path);
  return ok;
}

}  // namespace rope
