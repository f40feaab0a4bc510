"""MDM hub: match, merge and publish master data from ERP, CRM and WMS."""

__version__ = "0.1.0"
