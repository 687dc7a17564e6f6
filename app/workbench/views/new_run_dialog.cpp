// New-run form (see new_run_dialog.h).
#include "core/jobs/methods.h"
#include "core/jobs/experiment.h"
#include "app/workbench/views/new_run_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QPushButton>
#include <QLineEdit>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>

#include <limits>

namespace clir::workbench {
namespace {

const char* kInvalidStyle = "background-color: rgba(220, 40, 40, 60); border: 1px solid #d32f2f;";

QString tip(const config::SchemaNode& n) {
    QString t = QString::fromStdString(n.description);
    if (!n.allowed.empty()) {
        QStringList a;
        for (const auto& s : n.allowed) a << QString::fromStdString(s);
        t += "\n" + QObject::tr("one of: %1").arg(a.join(", "));
    }
    if (n.minimum) t += "\n" + QObject::tr("minimum %1").arg(*n.minimum);
    if (n.maximum) t += "\n" + QObject::tr("maximum %1").arg(*n.maximum);
    if (!n.defaultValue.is_null())
        t += "\n" + QObject::tr("default %1").arg(QString::fromStdString(n.defaultValue.dump()));
    return t;
}

// A JSON value shown in a line edit: strings bare, arrays as comma lists, numbers as written.
QString display(const nlohmann::json& v) {
    if (v.is_null()) return {};
    if (v.is_string()) return QString::fromStdString(v.get<std::string>());
    if (v.is_array()) {
        QStringList items;
        for (const auto& e : v) items << display(e);
        return items.join(", ");
    }
    return QString::fromStdString(v.dump());
}

}  // namespace

NewRunDialog::NewRunDialog(QWidget* parent)
    : QDialog(parent),
      method_(new QComboBox(this)),
      name_(new QLineEdit(this)),
      tabs_(new QTabWidget(this)),
      error_(new QLabel(this)),
      schema_(jobs::experimentSchema()) {
    setWindowTitle(tr("New run"));
    for (const auto& m : jobs::methodNames())
        if (m != "suite") method_->addItem(QString::fromStdString(m));
    method_->setCurrentText("bm25");
    name_->setPlaceholderText(tr("run name, e.g. hybrid-s-lr3e-5"));
    fields_["name"] = name_;
    fields_["method"] = method_;
    auto* head = new QWidget(this);
    auto* form = new QFormLayout(head);
    form->addRow(tr("Name"), name_);
    form->addRow(tr("Method"), method_);
    for (const auto& [key, node] : schema_.properties) {
        if (key == "description" || key == "seed" || key == "tags") {
            nodes_[QString::fromStdString(key)] = &node;
            addFields(head, node, QString::fromStdString(key));
        }
    }
    error_->setWordWrap(true);
    error_->setStyleSheet("color: #d32f2f;");
    error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Queue"));
    connect(buttons, &QDialogButtonBox::accepted, this, &NewRunDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &NewRunDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(head);
    layout->addWidget(tabs_, 1);
    layout->addWidget(error_);
    layout->addWidget(buttons);
    connect(method_, &QComboBox::currentTextChanged, this, [this] { rebuildTabs(); });
    rebuildTabs();
    resize(640, 640);
}

void NewRunDialog::addFields(QWidget* page, const config::SchemaNode& node, const QString& path) {
    auto* form = qobject_cast<QFormLayout*>(page->layout());
    const QString label = path.section('.', -1);
    QWidget* editor = nullptr;
    using T = config::SchemaNode::Type;
    switch (node.type) {
        case T::Object: {
            auto* box = new QGroupBox(label, page);
            box->setToolTip(QString::fromStdString(node.description));
            new QFormLayout(box);
            for (const auto& [key, child] : node.properties) {
                const QString childPath = path + "." + QString::fromStdString(key);
                nodes_[childPath] = &child;
                addFields(box, child, childPath);
            }
            form->addRow(box);
            return;
        }
        case T::Boolean: {
            auto* check = new QCheckBox(page);
            check->setChecked(node.defaultValue.is_boolean() && node.defaultValue.get<bool>());
            editor = check;
            break;
        }
        case T::String:
            if (!node.allowed.empty()) {
                auto* combo = new QComboBox(page);
                if (node.defaultValue.is_null()) combo->addItem(QString());
                for (const auto& a : node.allowed) combo->addItem(QString::fromStdString(a));
                combo->setCurrentText(display(node.defaultValue));
                editor = combo;
                break;
            }
            [[fallthrough]];
        default: {
            // Numbers in a line edit, not a spin box: 3e-5 must stay 3e-5, and an out-of-range
            // value must reach the validator to be named, not be clamped silently.
            auto* edit = new QLineEdit(display(node.defaultValue), page);
            if (node.type == T::Array) edit->setPlaceholderText(tr("comma-separated"));
            editor = edit;
        }
    }
    editor->setObjectName(path);
    editor->setToolTip(tip(node));
    fields_[path] = editor;
    auto* name = new QLabel(label, page);
    name->setToolTip(editor->toolTip());
    form->addRow(name, editor);
}

void NewRunDialog::rebuildTabs() {
    // Keep what was typed in the name; rebuild the blocks of the new method.
    for (auto it = fields_.begin(); it != fields_.end();) {
        const QString root = it.key().section('.', 0, 0);
        if (it.key().contains('.') && root != "description" && root != "seed" && root != "tags")
            it = fields_.erase(it);
        else
            ++it;
    }
    tabs_->clear();
    std::vector<std::string> blocks = {"corpus"};
    for (const auto& b : jobs::methodInfo(method_->currentText().toStdString()).blocks)
        blocks.push_back(b);
    for (const auto& block : blocks)
        for (const auto& [key, node] : schema_.properties) {
            if (key != block) continue;
            auto* page = new QWidget;
            auto* form = new QFormLayout(page);
            form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
            for (const auto& [childKey, child] : node.properties) {
                const QString path = QString::fromStdString(key + "." + childKey);
                nodes_[path] = &child;
                addFields(page, child, path);
            }
            auto* scroll = new QScrollArea;
            scroll->setWidget(page);
            scroll->setWidgetResizable(true);
            tabs_->addTab(scroll, QString::fromStdString(key));
            tabs_->setTabToolTip(tabs_->count() - 1, QString::fromStdString(node.description));
        }
    error_->clear();
}

nlohmann::json NewRunDialog::toJson() const {
    nlohmann::json j = nlohmann::json::object();
    for (auto it = fields_.begin(); it != fields_.end(); ++it) {
        const QString& path = it.key();
        const config::SchemaNode* node =
            path == "name" || path == "method" ? nullptr : nodes_[path];
        nlohmann::json value;
        if (auto* check = qobject_cast<QCheckBox*>(it.value())) {
            value = check->isChecked();
        } else {
            QString text = qobject_cast<QComboBox*>(it.value())
                               ? qobject_cast<QComboBox*>(it.value())->currentText()
                               : qobject_cast<QLineEdit*>(it.value())->text();
            text = text.trimmed();
            if (text.isEmpty() && !(node && node->type == config::SchemaNode::Type::String &&
                                    node->defaultValue.is_string()))
                continue;  // absent: the schema's default (or its "required" error) applies
            using T = config::SchemaNode::Type;
            auto scalar = [](const QString& s, T type) -> nlohmann::json {
                if (type == T::Integer || type == T::Number) {
                    // Numbers are parsed as JSON; text that is not a number goes to the validator
                    // as a string so that it names the field ("expected a number").
                    try {
                        return nlohmann::json::parse(s.toStdString());
                    } catch (const std::exception&) {
                        return s.toStdString();
                    }
                }
                return s.toStdString();
            };
            if (node && node->type == T::Array) {
                value = nlohmann::json::array();
                const T itemType = node->items ? node->items->type : T::String;
                for (const auto& part : text.split(',', Qt::SkipEmptyParts))
                    value.push_back(scalar(part.trimmed(), itemType));
            } else {
                value = scalar(text, node ? node->type : T::String);
            }
        }
        nlohmann::json* at = &j;
        const auto parts = path.split('.');
        for (int i = 0; i + 1 < parts.size(); ++i) at = &(*at)[parts[i].toStdString()];
        (*at)[parts.last().toStdString()] = value;
    }
    return j;
}

void NewRunDialog::showError(const QString& message) {
    for (auto* w : std::as_const(fields_)) w->setStyleSheet(QString());
    error_->setText(message);
    static const QRegularExpression field("field '([^']+)'");
    auto m = field.match(message);
    if (!m.hasMatch()) return;
    QString path = m.captured(1);
    path.remove(QRegularExpression("\\[\\d+\\]$"));  // an array item: mark the array
    while (!path.isEmpty() && !fields_.contains(path)) path = path.section('.', 0, -2);
    if (auto* w = fields_.value(path)) {
        w->setStyleSheet(kInvalidStyle);
        w->setToolTip(message);
        // Bring the field's tab forward.
        for (int i = 0; i < tabs_->count(); ++i)
            if (tabs_->widget(i)->isAncestorOf(w)) tabs_->setCurrentIndex(i);
        w->setFocus();
    }
}

void NewRunDialog::accept() {
    try {
        spec_ = jobs::parseExperiment(toJson().dump(), "new run form");
    } catch (const std::exception& e) {
        showError(QString::fromLocal8Bit(e.what()));
        return;
    }
    QDialog::accept();
}

}  // namespace clir::workbench
