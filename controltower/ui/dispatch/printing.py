"""Printing our PDFs (labels, pick lists, manifests) through Qt's print dialog."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QDialog
from PySide6.QtPrintSupport import QPrintDialog, QPrinter


def render_pdf_to_printer(path: Path, printer: QPrinter) -> int:
    """Draw every page of the PDF onto the printer at its resolution; returns the pages printed."""
    document = QPdfDocument(None)
    if document.load(str(path)) != QPdfDocument.Error.None_:
        raise OSError(f"could not read {path}")
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer could not start")
    try:
        dpi = min(printer.resolution(), 300)  # label printers are 203 or 300 dpi; more only costs time
        for page in range(document.pageCount()):
            if page:
                printer.newPage()
            points = document.pagePointSize(page)
            rendered = document.render(page, QSize(int(points.width() * dpi / 72), int(points.height() * dpi / 72)))
            sheet = QImage(rendered.size(), QImage.Format.Format_RGB32)
            sheet.fill(QColor("white"))  # pages render on transparency
            paper = QPainter(sheet)
            paper.drawImage(0, 0, rendered)
            paper.end()
            target = painter.viewport()
            painter.drawImage(QRect(target.topLeft(), sheet.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)), sheet)
        return document.pageCount()
    finally:
        painter.end()
        document.close()


def print_pdf(path: Path, parent=None) -> QPrintDialog:
    """Open the print dialog (non-blocking); the PDF is printed when the user presses Print."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(Path(path).stem)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print {Path(path).name}")
    dialog.accepted.connect(lambda: render_pdf_to_printer(Path(path), printer))
    QDialog.open(dialog)  # PySide6's QPrintDialog.open wants (receiver, member): the plain one takes none
    dialog._printer = printer  # keep the printer alive as long as the dialog
    return dialog
