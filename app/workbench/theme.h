// Light and dark palettes for `--palette light|dark`: by default the workbench keeps the
// system's palette (and the charts follow it); these fixed ones make screenshots and tests of
// both themes reproducible on any desktop.
#pragma once

#include <QPalette>
#include <QString>

namespace clir::workbench {

// Applies "light", "dark" or "system" (the style's own) to the application; throws
// std::invalid_argument for another name.
void applyPalette(const QString& name);
QPalette darkPalette();
QPalette lightPalette();

}  // namespace clir::workbench
