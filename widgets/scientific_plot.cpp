#include "scientific_plot.h"

#include <qcustomplot.h>

#include <QFileInfo>
#include <QSvgGenerator>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>
#include <cmath>
#include <limits>

namespace rope {
namespace {

QCPColorMap* findHeatmap(QCustomPlot* plot) {
  for (int i = 0; i < plot->plottableCount(); ++i) {
    if (auto* map = qobject_cast<QCPColorMap*>(plot->plottable(i))) return map;
  }
  return nullptr;
}

void applyScale(QCPAxis* axis, AxisScale scale) {
  if (scale == AxisScale::Log) {
    axis->setScaleType(QCPAxis::stLogarithmic);
    QSharedPointer<QCPAxisTickerLog> ticker(new QCPAxisTickerLog);
    axis->setTicker(ticker);
    axis->setNumberFormat("eb");
    axis->setNumberPrecision(0);
  } else {
    axis->setScaleType(QCPAxis::stLinear);
    axis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    axis->setNumberFormat("gb");
    axis->setNumberPrecision(6);
  }
}

QString number(double v) { return QString::number(v, 'g', 6); }

}  // namespace

ScientificPlot::ScientificPlot(QWidget* parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_replotTimer(new QTimer(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_plot);
  setMinimumSize(240, 180);

  m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  m_plot->setMouseTracking(true);
  m_plot->legend->setVisible(true);
  m_plot->legend->setFont(QFont(font().family(), 8));
  m_plot->legend->setBrush(QColor(255, 255, 255, 220));
  m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);

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
  QCPColorGradient gradient;
  QMap<double, QColor> stops;
  for (const auto& [pos, color] : data.gradientStops) stops.insert(pos, color);
  gradient.setColorStops(stops);
  gradient.setLevelCount(512);
  map->setGradient(gradient);
  map->setInterpolate(false);
  map->setDataScaleType(data.zScale == AxisScale::Log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  map->setDataRange(QCPRange(data.zMin, data.zMax));
  map->removeFromLegend();
  scheduleReplot();
}

bool ScientificPlot::hasHeatmap() const { return findHeatmap(m_plot) != nullptr; }

void ScientificPlot::setTitle(const QString& title) {
  if (m_plot->plotLayout()->rowCount() == 1) {
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(
        0, 0, new QCPTextElement(m_plot, title, QFont(font().family(), 10, QFont::Bold)));
  } else if (auto* t = qobject_cast<QCPTextElement*>(m_plot->plotLayout()->element(0, 0))) {
    t->setText(title);
  }
  scheduleReplot();
}

QString ScientificPlot::title() const {
  if (m_plot->plotLayout()->rowCount() < 2) return {};
  const auto* t = qobject_cast<QCPTextElement*>(m_plot->plotLayout()->element(0, 0));
  return t ? t->text() : QString();
}

void ScientificPlot::setAxisLabels(const QString& x, const QString& y) {
  m_plot->xAxis->setLabel(x);
  m_plot->yAxis->setLabel(y);
  scheduleReplot();
}

void ScientificPlot::setTickLabels(Qt::Orientation axis, const QVector<double>& positions,
                                   const QStringList& labels) {
  QCPAxis* a = axis == Qt::Horizontal ? m_plot->xAxis : m_plot->yAxis;
  if (positions.isEmpty()) {
    applyScale(a, AxisScale::Linear);
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
  return text ? QStringList(text->ticks().values()) : QStringList();
}

void ScientificPlot::setXScale(AxisScale scale) {
  applyScale(m_plot->xAxis, scale);
  scheduleReplot();
}

void ScientificPlot::setYScale(AxisScale scale) {
  applyScale(m_plot->yAxis, scale);
  scheduleReplot();
}

AxisScale ScientificPlot::yScale() const {
  return m_plot->yAxis->scaleType() == QCPAxis::stLogarithmic ? AxisScale::Log : AxisScale::Linear;
}

void ScientificPlot::setXRange(double lower, double upper) {
  m_plot->xAxis->setRange(lower, upper);
  scheduleReplot();
}

void ScientificPlot::setYRange(double lower, double upper) {
  m_plot->yAxis->setRange(lower, upper);
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
  scheduleReplot();
}

void ScientificPlot::setLegendVisible(bool visible) {
  m_plot->legend->setVisible(visible);
  scheduleReplot();
}

void ScientificPlot::setLegendCorner(Qt::Alignment corner) {
  m_plot->axisRect()->insetLayout()->setInsetAlignment(0, corner);
  scheduleReplot();
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
    return QString("x = %1\ny = %2\nvalue = %3").arg(number(p.x), number(p.y), number(p.value));
  }
  return QString("%1\nx = %2\ny = %3").arg(curveName(p.curve), number(p.x), number(p.y));
}

void ScientificPlot::onMouseMove(QMouseEvent* event) {
  emit mouseMoved(event->position(), event->buttons());
  if (event->buttons() != Qt::NoButton) return;
  const QString text = tooltipAt(event->position());
  if (text.isEmpty()) {
    QToolTip::hideText();
    return;
  }
  QToolTip::showText(m_plot->mapToGlobal(event->position().toPoint()), text, m_plot);
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
