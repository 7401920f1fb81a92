"""StreamField blocks of the help pages: the manual, its FAQ, practical information."""

from django.utils.translation import gettext_lazy as _

from wagtail import blocks, hooks
from wagtail.api.utils import get_full_url
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock


def is_public_document(document):
    """Whether anyone may read `document`, as the content apps' privacy rules decide."""
    queryset = type(document).objects.filter(pk=document.pk)
    for restrict in hooks.get_hooks("filter_public_collection_members"):
        queryset = restrict(queryset)
    return queryset.exists()


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("text"), max_length=200)
    level = blocks.ChoiceBlock(
        label=_("level"),
        choices=[("h2", _("Section")), ("h3", _("Sub-section"))],
        default="h2",
    )

    class Meta:
        icon = "title"
        label = _("Heading")
        template = "home/blocks/heading.html"


class FigureBlock(blocks.StructBlock):
    image = ImageBlock(label=_("image"))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=300)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "home/blocks/figure.html"


class DocumentLinkBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("document"))
    label = blocks.CharBlock(
        label=_("link text"),
        required=False,
        max_length=200,
        help_text=_("Empty: the document's title."),
    )

    class Meta:
        icon = "doc-full"
        label = _("Document link")
        template = "home/blocks/document_link.html"

    def get_api_representation(self, value, context=None):
        # The public API never names a restricted document, not even by id.
        document = value.get("document")
        if document is None or not is_public_document(document):
            return {"label": value.get("label") or "", "document": None}
        return {
            "label": value.get("label") or document.title,
            "document": {
                "id": document.pk,
                "title": document.title,
                "filename": document.filename,
                "download_url": get_full_url(context and context.get("request"), document.url),
            },
        }


class QuestionAnswerBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("question"), max_length=300)
    answer = blocks.RichTextBlock(label=_("answer"), features=["bold", "italic", "link", "ul"])

    class Meta:
        icon = "help"
        label = _("Question and answer")
        template = "home/blocks/question_answer.html"


class HelpStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label=_("Text"),
        features=["bold", "italic", "link", "document-link", "ol", "ul"],
        template="home/blocks/paragraph.html",
    )
    image = FigureBlock()
    document = DocumentLinkBlock()
    question = QuestionAnswerBlock()
