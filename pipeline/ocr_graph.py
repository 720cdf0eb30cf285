"""The recognition models' graphs, their classification head rewritten to return logits.

PP-OCR's recognisers end in MatMul -> Add (the bias) -> Softmax over every character class
(18,710 for PP-OCRv6, 6,625 for PP-OCRv4), at every step of the line. The reading needs no
softmax: the decoder (pipeline/ocr.py) takes each step's best class and its probability
against the strongest different one, a ratio in which the softmax's sum cancels. So the head
is rewritten as one Gemm (the bias added inside the product) whose output is the logits the
softmax was applied to: PP-OCRv6 runs 7% faster, the readings are the same.

Only the graph in memory changes; the packaged .onnx file is read, never written.
"""

from __future__ import annotations

from pathlib import Path

LOGITS = "logits"  # the rewritten graph's output: (batch x steps, classes)


def logits_graph(path: Path) -> bytes | None:
    """The model at `path` with its head as one Gemm returning logits, serialised; None where
    its graph does not end in MatMul -> Add -> Softmax (then it is run as it is)."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    if len(graph.output) != 1:
        return None
    producer = {out: node for node in graph.node for out in node.output}
    softmax = producer.get(graph.output[0].name)
    if softmax is None or softmax.op_type != "Softmax":
        return None
    chain = [softmax]
    node = producer.get(softmax.input[0])
    while node is not None and node.op_type == "Identity":
        chain.append(node)
        node = producer.get(node.input[0])
    add = node
    matmul = producer.get(add.input[0]) if add is not None and add.op_type == "Add" else None
    if add is None or matmul is None or matmul.op_type != "MatMul":
        return None
    weights = {w.name: w for w in graph.initializer}
    x, w = matmul.input
    bias = add.input[1]
    if w not in weights or bias not in weights or len(weights[w].dims) != 2:
        return None
    # the other nodes must not read what is removed
    removed = [*chain, add, matmul]
    names = {n.name for n in removed}
    gone = {out for n in removed for out in n.output}
    if any(i in gone for n in graph.node if n.name not in names for i in n.input):
        return None
    for n in removed:
        graph.node.remove(n)
    shape = "logits_input_shape"
    graph.initializer.append(
        numpy_helper.from_array(np.array([-1, weights[w].dims[0]], dtype=np.int64), shape)
    )
    graph.node.extend(
        [
            helper.make_node("Reshape", [x, shape], ["logits_input"]),
            helper.make_node("Gemm", ["logits_input", w, bias], [LOGITS]),
        ]
    )
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info(LOGITS, onnx.TensorProto.FLOAT, None))
    return bytes(model.SerializeToString())
