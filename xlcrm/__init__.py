"""xlcrm: an Excel workbook as a client base for a small business."""

__version__ = "0.1.0"
