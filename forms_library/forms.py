from wagtail.documents.forms import BaseDocumentForm

from .validators import validate_document_upload


class DocumentForm(BaseDocumentForm):
    """Every document upload in the admin (single, multiple, replacing a file) goes through
    this form (settings.WAGTAILDOCS_DOCUMENT_FORM_BASE), hence through the upload checks."""

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if uploaded and "file" in self.changed_data:
            validate_document_upload(uploaded)
        return uploaded

    def _post_clean(self):
        # The model's own extension check would repeat, less clearly, a refusal already given.
        if self.has_error("file"):
            return
        super()._post_clean()
