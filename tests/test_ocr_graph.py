"""The recognisers' head rewritten to return logits: the same readings as the packaged graph."""

from __future__ import annotations

from pathlib import Path

import fitz
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from pipeline.ocr import DEFAULT_MODEL, MODELS, _decode, _folded, model_path, recogniser
from pipeline.ocr_graph import logits_graph


def _session(model: str | bytes) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.log_severity_level = 4
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])


def _line_crop() -> np.ndarray:
    """A printed line as the recogniser's input (1, 3, 48, W)."""
    from jixiao_eval.pdfgen.text import FONT

    doc = fitz.open()
    page = doc.new_page(width=260, height=30)
    tw = fitz.TextWriter(page.rect)
    tw.append((8, 20), "≥95.00(%) 项目资金执行率", font=FONT, fontsize=10.5)
    tw.write_text(page)
    pix = page.get_pixmap(dpi=200, colorspace=fitz.csRGB)
    crop = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, 3)
    rec = recogniser(1, DEFAULT_MODEL)
    return rec.resize_norm(crop, crop.shape[1] / crop.shape[0])[np.newaxis]


def test_the_rewritten_head_returns_the_logits_of_the_packaged_softmax() -> None:
    x = _line_crop()
    rewritten = 0
    for name in MODELS:
        path = model_path(name)
        graph = logits_graph(path)
        if graph is None:
            continue  # run as packaged: Recogniser.run takes the log of its softmax
        rewritten += 1
        packaged = _session(str(path)).run(None, {"x": x})[0][0]
        logits = _session(graph).run(None, {"x": x})[0]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        assert np.allclose(e / e.sum(axis=1, keepdims=True), packaged, atol=1e-5)
        # and the decoder reads the same text with the same probabilities from either
        meta = _session(str(path)).get_modelmeta().custom_metadata_map["character"]
        alphabet = ["blank", *meta.splitlines(), " "]
        folded = _folded(alphabet)
        a = _decode(np.log(np.maximum(packaged, 1e-38)), alphabet, folded)
        b = _decode(logits, alphabet, folded)
        assert a[0] == b[0] and a[2] == b[2] and "95.00" in a[0]
        assert np.allclose(a[1], b[1], atol=1e-4)
    assert rewritten >= 1  # PP-OCRv6, the reader of every line, is
    assert recogniser(1, DEFAULT_MODEL).logits


def test_a_graph_that_does_not_end_in_softmax_is_run_as_it_is(tmp_path: Path) -> None:
    w = numpy_helper.from_array(np.ones((4, 3), np.float32), "w")
    b = numpy_helper.from_array(np.zeros(3, np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["m", "b"], ["y"])],
        "head",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 3])],
        [w, b],
    )
    path = tmp_path / "no_softmax.onnx"
    onnx.save(helper.make_model(graph), str(path))
    assert logits_graph(path) is None
