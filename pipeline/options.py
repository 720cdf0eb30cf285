"""The one options object: what render, read/OCR, the LLM and the run take, with every default.

The CLI's flags and the config file fill these models (pipeline/llm/settings.py loads the LLM
part from flags, environment and jixiao.toml); no default is written anywhere else. All are
frozen and picklable, so they cross to worker processes unchanged.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

OcrMode = Literal["auto", "off", "always"]
LLMMode = Literal["tools", "json", "json_schema", "md_json"]
OCR_MODES: tuple[OcrMode, ...] = ("auto", "off", "always")
LLM_MODES: tuple[LLMMode, ...] = ("tools", "json", "json_schema", "md_json")
DEFAULT_LLM_CACHE = ".jixiao-cache/llm"
DEFAULT_BASE_URL = "https://api.openai.com/v1"


class _Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RenderOptions(_Options):
    """Limits on what is opened at all."""

    max_bytes: int = Field(
        default=500 * 1024 * 1024, gt=0, description="Largest input file, in bytes."
    )
    max_pages: int = Field(default=3000, gt=0, description="Most pages an input may have.")


class ReadOptions(_Options):
    """How pages are read: the text layer, or OCR where it cannot be believed."""

    ocr: OcrMode = Field(
        default="auto",
        description="auto: scans and suspect cells only; off: never; always: every cell.",
    )
    dpi: int = Field(
        default=200, ge=50, le=1200, description="Page rendering for OCR and image ruling lines."
    )
    threads: int = Field(
        default=2, ge=1, le=256, description="onnxruntime intra-op threads for OCR."
    )
    ocr_cache: str = Field(
        default="",
        description="Folder of OCR readings reused across runs ('' = none; jixiao eval's own).",
    )


class LimitsOptions(_Options):
    """What one file may cost; a file over a limit fails alone as too_complex, the batch goes on."""

    seconds: float = Field(
        default=1800.0, gt=0, le=7 * 86400, description="Wall time per file, in seconds."
    )
    memory_mb: int = Field(
        default=4096,
        ge=512,
        le=1 << 22,
        description="Address space of a worker process (RLIMIT_AS), in MiB.",
    )
    max_pixels: int = Field(
        default=80_000_000,
        ge=1_000_000,
        le=2_000_000_000,
        description="Pixels of one page render (an A3 page at 200 dpi is 7.8 million).",
    )
    max_content_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024 * 1024,
        description="Decompressed drawing instructions (content streams) of one page, in bytes.",
    )
    max_glyphs: int = Field(default=200_000, ge=1000, description="Characters drawn on one page.")
    # A few KB of drawing instructions can draw a grid of thousands of lines; the layout reader
    # holds every elementary cell of a table (~600 bytes each), so lines and cells are counted
    # before it builds the grid, not after (a 7 KB PDF of 1000 x 1000 lines took 730 MB).
    max_ruling_lines: int = Field(
        default=10_000, ge=100, description="Ruling lines on one page (real pages: under 100)."
    )
    max_grid_cells: int = Field(
        default=100_000,
        ge=1000,
        description="Elementary cells of one ruled table (rows x columns of its grid lines).",
    )


MAX_JOBS = 64  # more worker processes than this is a typo, not a plan (each holds a PDF reader)


class BatchOptions(_Options):
    """How a batch is run: processes, retries, resume, Ray; none of these change a result."""

    jobs: int = Field(default=1, ge=1, le=MAX_JOBS, description="Files processed at once.")
    retries: int = Field(
        default=1, ge=0, le=5, description="Retries of a file whose worker died (kill, OOM)."
    )
    force: bool = Field(default=False, description="Redo every file, even those done earlier.")
    ray: str = Field(
        default="", description="'' runs locally; 'auto' or a Ray address runs on a cluster."
    )


class Price(_Options):
    """Cost per million tokens, prompt (input) and completion (output)."""

    input: float = 0.0
    output: float = 0.0


class LLMSettings(_Options):
    """Everything the LLM path needs. The LLM is on only when a model is named."""

    model: str = Field(default="", description="Model name; naming one turns the LLM on.")
    base_url: str = Field(
        default="", description=f"OpenAI-compatible endpoint ('' = {DEFAULT_BASE_URL})."
    )
    api_key: str = Field(default="", repr=False, description="API key; never recorded.")
    vision: bool = Field(default=False, description="The model takes images: page crops are sent.")
    mode: LLMMode = Field(
        default="tools", description="Structured-output mode the server supports."
    )
    max_repair_rounds: int = Field(default=2, ge=0, description="Re-asks after a checker error.")
    max_validation_retries: int = Field(
        default=2, ge=0, description="Re-asks after a schema/JSON error."
    )
    max_tokens_per_document: int = Field(
        default=300_000,
        ge=1,
        description="Prompt + completion tokens per document, fresh and replayed.",
    )
    max_output_tokens: int = Field(default=8192, ge=1, description="Completion tokens per request.")
    temperature: float = Field(default=0.0, ge=0.0, description="Sampling temperature.")
    concurrency: int = Field(default=4, ge=1, description="Requests in flight per document.")
    timeout: float = Field(
        default=120.0, gt=0, description="Seconds to wait for an answer (read timeout)."
    )
    connect_timeout: float = Field(
        default=5.0,
        gt=0,
        description="Seconds to open a connection: short, so an unreachable endpoint is found at "
        "once; also the time the preflight request waits for any answer.",
    )
    retry_attempts: int = Field(
        default=5, ge=1, description="Tries per request on 429/5xx/timeouts."
    )
    retry_base_wait: float = Field(
        default=1.0, ge=0, description="Seconds; jittered exponential backoff."
    )
    retry_max_wait: float = Field(
        default=60.0, ge=0, description="Cap on one wait, Retry-After included."
    )
    image_dpi: int = Field(default=150, gt=0, description="Page images sent to vision models.")
    crop_dpi: int = Field(
        default=300, gt=0, description="Close-ups of suspect rows in repair rounds."
    )
    cache_dir: str = Field(default=DEFAULT_LLM_CACHE, description="Record/replay folder.")
    cache: bool = Field(default=True, description="Record and replay requests.")
    replay_only: bool = Field(default=False, description="Answer from the cache only; never send.")
    currency: str = Field(default="USD", description="Currency of the price table.")
    prices: dict[str, Price] = Field(
        default_factory=dict, description="Model -> price per million tokens."
    )

    @property
    def enabled(self) -> bool:
        """On only when a model is named."""
        return bool(self.model)

    @property
    def host(self) -> str:
        """Host (and port) of the endpoint, for the record; never the key."""
        url = self.base_url or DEFAULT_BASE_URL
        return urlsplit(url).netloc or url

    def price(self) -> Price | None:
        """The model's price, if the table has it."""
        return self.prices.get(self.model)


class RunOptions(_Options):
    """One run of the pipeline on one file: render, read and (when a model is named) LLM."""

    render: RenderOptions = Field(default_factory=RenderOptions)
    read: ReadOptions = Field(default_factory=ReadOptions)
    llm: LLMSettings | None = Field(
        default=None, description="The LLM runs only when this names a model."
    )
    limits: LimitsOptions = Field(default_factory=LimitsOptions)
    batch: BatchOptions = Field(default_factory=BatchOptions)
