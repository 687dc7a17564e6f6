// The new-run form, generated from the experiment schema (core/config): name, method, seed and
// tags, then one tab per block the chosen method reads, every field with its default and its
// description as tooltip. Accepting validates with the same parser as `clirlab run`; an invalid
// value is marked in the form with the validator's message and nothing starts.
#pragma once

#include <QDialog>
#include <QMap>
#include <nlohmann/json.hpp>

#include "core/config/experiment_spec.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QTabWidget;

namespace clir::workbench {

class NewRunDialog : public QDialog {
    Q_OBJECT
  public:
    explicit NewRunDialog(QWidget* parent = nullptr);

    // The widget editing a field ("train.learning_rate"); null when the form has none.
    QWidget* field(const QString& path) const { return fields_.value(path); }
    QComboBox* methodChooser() const { return method_; }
    QLabel* errorLabel() const { return error_; }
    // The form as experiment JSON (fields left empty are left out).
    nlohmann::json toJson() const;
    // Valid after accept(): the parsed experiment.
    const config::ExperimentSpec& experiment() const { return spec_; }
    // Shows a message (a ConfigError's "field 'a.b': ..." marks that field).
    void showError(const QString& message);

  public slots:
    void accept() override;

  private:
    void rebuildTabs();
    void addFields(QWidget* page, const config::SchemaNode& node, const QString& path);
    QComboBox* method_;
    QLineEdit* name_;
    QTabWidget* tabs_;
    QLabel* error_;
    QMap<QString, QWidget*> fields_;  // path -> editor
    QMap<QString, const config::SchemaNode*> nodes_;
    config::SchemaNode schema_;
    config::ExperimentSpec spec_;
};

}  // namespace clir::workbench
