#include "project_dock.h"

#include <QComboBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QVBoxLayout>

#include "factor_set_list_model.h"
#include "workbench_document.h"

namespace rope {

ProjectDock::ProjectDock(WorkbenchDocument* doc, QWidget* parent)
    : QDockWidget("Project", parent), m_doc(doc) {
  setObjectName("projectDock");
  auto* body = new QWidget;
  auto* layout = new QVBoxLayout(body);
  m_summary = new QLabel;
  m_summary->setWordWrap(true);
  m_details = new QLabel;
  m_details->setWordWrap(true);
  m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_model = new FactorSetListModel(doc, this);
  m_list = new QListView;
  m_list->setModel(m_model);
  m_list->setSelectionMode(QAbstractItemView::SingleSelection);
  m_list->setToolTip(
      "Tick: visible in the plots. Select: the active set, edited in the factor editor. "
      "F2 or a double click: rename.");
  m_remove = new QPushButton("Remove set");
  m_dataset = new QLabel;
  m_dataset->setWordWrap(true);
  m_dataset->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_device = new QComboBox;
  for (const std::string& d : availableDevices()) m_device->addItem(QString::fromStdString(d));
  m_device->setToolTip("Where the Perplexity and Search jobs run");
  m_dtype = new QComboBox;
  for (ComputeDType t : {ComputeDType::Float32, ComputeDType::BFloat16, ComputeDType::Float16}) {
    m_dtype->addItem(QString::fromStdString(computeDTypeName(t)), static_cast<int>(t));
  }
  m_dtype->setToolTip("The compute dtype of the jobs' forward passes");
  auto* compute = new QFormLayout;
  compute->addRow("Device", m_device);
  compute->addRow("Dtype", m_dtype);
  layout->addWidget(m_summary);
  layout->addWidget(m_details);
  layout->addWidget(m_dataset);
  layout->addLayout(compute);
  layout->addWidget(new QLabel("<b>Factor sets</b> (tick to show, select to edit)"));
  layout->addWidget(m_list, 1);
  layout->addWidget(m_remove);
  setWidget(body);
  setMinimumWidth(280);

  connect(doc, &WorkbenchDocument::modelReset, this, &ProjectDock::showModel);
  connect(doc, &WorkbenchDocument::targetWindowChanged, this, &ProjectDock::showModel);
  connect(doc, &WorkbenchDocument::activeChanged, this, &ProjectDock::showActive);
  connect(m_list->selectionModel(), &QItemSelectionModel::currentChanged, this,
          [this](const QModelIndex& current) {
            if (current.isValid()) m_doc->setActiveIndex(current.row());
          });
  connect(m_remove, &QPushButton::clicked, this,
          [this] { m_doc->removeSet(m_doc->activeIndex()); });
  connect(doc, &WorkbenchDocument::datasetChanged, this, &ProjectDock::showDataset);
  connect(doc, &WorkbenchDocument::computeChanged, this, &ProjectDock::showCompute);
  connect(m_device, &QComboBox::currentTextChanged, this,
          [this](const QString& device) { m_doc->setDevice(device); });
  connect(m_dtype, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (index >= 0) m_doc->setDtype(static_cast<ComputeDType>(m_dtype->itemData(index).toInt()));
  });
  showModel();
  showActive();
  showDataset();
  showCompute();
}

void ProjectDock::showModel() {
  const ModelInfo& m = m_doc->model();
  const RopeParams& r = m.rope;
  m_summary->setText(
      m.builtIn ? QString("<b>%1</b><br><i>Built-in default RoPE (no model loaded). Open a "
                          "Hugging Face model folder with File &gt; Open model folder or drop "
                          "one on the window.</i>")
                      .arg(m.summary().toHtmlEscaped())
                : QString("<b>%1</b>").arg(m.name.toHtmlEscaped()));
  auto row = [](const QString& key, const QString& value) {
    return QString("<tr><td>%1&nbsp;</td><td><b>%2</b></td></tr>").arg(key, value.toHtmlEscaped());
  };
  QString table = "<table>";
  table += row("folder", m.folder.isEmpty() ? QString("(built in)") : m.folder);
  table += row("architecture", m.architecture.isEmpty() ? QString("(not given)") : m.architecture);
  table += row("head_dim", QString::number(r.headDim));
  table += row("rotary dim", QString::number(m.rotaryDim()));
  table += row("base (rope_theta)", QString::number(r.base, 'g', 10));
  table += row("original window", QString::number(m.trainingWindow()));
  table += row("max window", QString::number(m.maxWindow()));
  table += row("config scaling", QString::fromStdString(methodName(r.method)));
  table += row("target window", QString::number(m_doc->targetWindow()));
  table += "</table>";
  m_details->setText(table);
}

void ProjectDock::showActive() {
  const int active = m_doc->activeIndex();
  const QModelIndex index = m_model->index(active, 0);
  if (m_list->currentIndex() != index) {
    m_list->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect);
  }
  m_remove->setEnabled(active >= 0);
}

void ProjectDock::showDataset() {
  const DatasetInfo& d = m_doc->dataset();
  QString text = "<b>Dataset</b><br>";
  if (d.isEmpty()) {
    text += "<i>none: open one with File &gt; Open dataset</i>";
  } else {
    QStringList names;
    for (const std::string& f : d.files) {
      names << QFileInfo(QString::fromStdString(f)).fileName().toHtmlEscaped();
    }
    if (d.demoTest) names << "demo test split";
    text += names.join(", ");
    if (d.documents >= 0 && d.description.isEmpty()) {
      text += QString("<br>%1 documents").arg(d.documents);
    }
    if (!d.description.isEmpty()) text += "<br><i>" + d.description.toHtmlEscaped() + "</i>";
  }
  m_dataset->setText(text);
  QStringList tip;
  for (const std::string& f : d.files) tip << QString::fromStdString(f);
  m_dataset->setToolTip(tip.join("\n"));
}

void ProjectDock::showCompute() {
  const QSignalBlocker deviceBlock(m_device), dtypeBlock(m_dtype);
  m_device->setCurrentText(m_doc->device());
  m_dtype->setCurrentIndex(m_dtype->findData(static_cast<int>(m_doc->dtype())));
}

}  // namespace rope
