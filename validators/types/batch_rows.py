"""What every batch input row shares: a `custom_id`, unique in its file, and a `body`."""

from validators.kinds import Shaped
from validators.shapes import Obj, Str
from validators.spec import Field, RowRule, UniqueValues, not_empty, present

# An image given by URL (a data URI or https), in chat content blocks of both APIs.
IMAGE_URL_BLOCK = Obj(
    {
        "image_url": Obj(
            {"url": Str(non_blank=True)}, {"detail": Str(choices=("auto", "low", "high"))}
        )
    }
)
MODEL_REFUSED = "is set once for the whole batch, not in each request"


def batch_fields(body: Obj) -> tuple[Field, ...]:
    return (Field("custom_id"), Field("body", Shaped(body)))


def batch_row_rules() -> tuple[RowRule, ...]:
    return (present("custom_id"), not_empty("custom_id"), present("body"))


UNIQUE_CUSTOM_ID = UniqueValues("custom_id")
