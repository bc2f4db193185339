#!/usr/bin/env python3
"""Generates the tiny ONNX models and tensor files used by OutpostONNXTests.

Run from anywhere: python3 Tests/OutpostONNXTests/Fixtures/make_fixtures.py
Needs onnx and numpy (host only; `swift test` reads the committed outputs).
Values are simple (arange-like) so the Swift tests can state them literally.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def out(name):
    return os.path.join(HERE, name)


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, out(name))


def typed_tensor(name, dtype, dims, field, values):
    """A TensorProto whose values sit in a typed field (float_data, int32_data...)."""
    t = TensorProto()
    t.name = name
    t.data_type = dtype
    t.dims.extend(dims)
    getattr(t, field).extend(values)
    return t


def raw_tensor(name, array):
    t = numpy_helper.from_array(array, name)
    assert t.HasField("raw_data")
    return t


def opset(v=17):
    return [helper.make_opsetid("", v)]


# 1. typed data fields + symbolic batch dim --------------------------------------
def make_typed():
    inits = [
        typed_tensor("w_f32", TensorProto.FLOAT, [3], "float_data", [0.5, -1.0, 2.0]),
        typed_tensor("w_i64", TensorProto.INT64, [2, 2], "int64_data", [1, -2, 3, 1 << 40]),
        typed_tensor("w_i32", TensorProto.INT32, [3], "int32_data", [7, -8, 2147483647]),
        typed_tensor("w_i8", TensorProto.INT8, [4], "int32_data", [-128, -1, 0, 127]),
        typed_tensor("w_u8", TensorProto.UINT8, [3], "int32_data", [0, 128, 255]),
        typed_tensor("w_bool", TensorProto.BOOL, [3], "int32_data", [1, 0, 1]),
        # float16 bit patterns: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800
        typed_tensor("w_f16", TensorProto.FLOAT16, [3], "int32_data", [0x3C00, 0xC000, 0x3800]),
        typed_tensor("w_scalar", TensorProto.FLOAT, [], "float_data", [3.25]),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])
    nodes = [
        helper.make_node("Add", ["x", "w_f32"], ["t"], name="add"),
        helper.make_node("Mul", ["t", "w_scalar"], ["y"], name="mul"),
        helper.make_node("Transpose", ["x"], ["xt"], name="transpose", perm=[1, 0]),
        helper.make_node("LeakyRelu", ["x"], ["lr"], name="leaky", alpha=0.25),
        helper.make_node("Pad", ["x"], ["pd"], name="pad", mode="reflect"),
    ]
    g = helper.make_graph(nodes, "typed", [x], [y], initializer=inits)
    m = helper.make_model(g, opset_imports=opset(), producer_name="outpost-fixtures",
                          producer_version="1.0", doc_string="typed data fields")
    m.model_version = 7
    m.domain = "ai.outpost.test"
    onnx.helper.set_model_props(m, {"author": "outpost", "purpose": "tests"})
    save(m, "typed.onnx", check=False)  # unused outputs are fine for the loader


# 2. raw data (incl. float16) -----------------------------------------------------
def make_raw():
    inits = [
        raw_tensor("w", np.arange(6, dtype=np.float32).reshape(2, 3) / 4),
        raw_tensor("b", np.array([1, 2], dtype=np.int64)),
        raw_tensor("h", np.array([1.0, -2.0, 0.5, 65504.0], dtype=np.float16)),
        raw_tensor("q", np.array([-3, 0, 5], dtype=np.int8)),
        raw_tensor("u", np.array([[1, 2], [3, 4]], dtype=np.uint8)),
        raw_tensor("m", np.array([True, False], dtype=np.bool_)),
        raw_tensor("i", np.array([-5, 6], dtype=np.int32)),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                          "raw", [x], [y], initializer=inits)
    save(helper.make_model(g, opset_imports=opset()), "raw.onnx")


# 3. external data ------------------------------------------------------------------
def make_external():
    w = raw_tensor("w", np.arange(8, dtype=np.float32).reshape(2, 4))
    v = raw_tensor("v", np.array([10, 20, 30], dtype=np.int64))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "external", [x], [y],
                          initializer=[w, v])
    m = helper.make_model(g, opset_imports=opset())
    onnx.external_data_helper.convert_model_to_external_data(
        m, all_tensors_to_one_file=True, location="external.bin", size_threshold=0)
    if os.path.exists(out("external.bin")):
        os.remove(out("external.bin"))  # onnx appends to an existing data file
    onnx.save(m, out("external.onnx"))  # writes external.bin beside it
    # The same model pointing outside its directory: must be refused.
    for t in m.graph.initializer:
        for e in t.external_data:
            if e.key == "location":
                e.value = "../external.bin"
    onnx.save_model(m, out("external_escape.onnx"), save_as_external_data=False)


# 4. Constant nodes ---------------------------------------------------------------
def make_constants():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    nodes = [
        helper.make_node("Constant", [], ["c_tensor"],
                         value=helper.make_tensor("v", TensorProto.FLOAT, [2], [1.5, 2.5])),
        helper.make_node("Constant", [], ["c_float"], value_float=0.75),
        helper.make_node("Constant", [], ["c_floats"], value_floats=[1.0, 2.0, 3.0]),
        helper.make_node("Constant", [], ["c_int"], value_int=-4),
        helper.make_node("Constant", [], ["c_ints"], value_ints=[5, 6]),
        helper.make_node("Add", ["x", "c_tensor"], ["s"]),
        helper.make_node("Mul", ["s", "c_float"], ["y"]),
    ]
    g = helper.make_graph(nodes, "constants", [x], [y])
    save(helper.make_model(g, opset_imports=opset()), "constants.onnx")

    n = helper.make_node("Constant", [], ["y"], value_string="hello")
    g = helper.make_graph([n], "cstring", [], [helper.make_tensor_value_info("y", TensorProto.STRING, [])])
    save(helper.make_model(g, opset_imports=opset()), "constant_string.onnx")


# 5. unsupported dtypes ----------------------------------------------------------
def make_bad_dtypes():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    node = helper.make_node("Identity", ["x"], ["y"])
    u16 = raw_tensor("w_u16", np.array([1, 2], dtype=np.uint16))
    save(helper.make_model(helper.make_graph([node], "u16", [x], [y], initializer=[u16]),
                           opset_imports=opset()), "unsupported_dtype.onnx")
    dbl = typed_tensor("w_double", TensorProto.DOUBLE, [2], "double_data", [1.0, 2.0])
    save(helper.make_model(helper.make_graph([node], "dbl", [x], [y], initializer=[dbl]),
                           opset_imports=opset()), "double.onnx")


# 6. subgraph attribute (If with branches using an outer value) -----------------
def make_if():
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    then_out = helper.make_tensor_value_info("t_out", TensorProto.FLOAT, [2])
    else_out = helper.make_tensor_value_info("e_out", TensorProto.FLOAT, [2])
    then_g = helper.make_graph([helper.make_node("Relu", ["xx"], ["t_out"])], "then", [], [then_out])
    else_g = helper.make_graph([helper.make_node("Neg", ["xx"], ["e_out"])], "else", [], [else_out])
    nodes = [
        helper.make_node("Identity", ["x"], ["xx"], name="id"),
        helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then_g, else_branch=else_g),
    ]
    g = helper.make_graph(nodes, "if", [cond, x], [y])
    save(helper.make_model(g, opset_imports=opset()), "if.onnx")
    # The If listed before the node producing the value its branches capture.
    g = helper.make_graph(list(reversed(nodes)), "if_unordered", [cond, x], [y])
    save(helper.make_model(g, opset_imports=opset()), "if_unordered.onnx", check=False)


# 7. model-local function ----------------------------------------------------------
def make_function():
    f = helper.make_function("custom.fn", "Twice", ["a"], ["b"],
                             [helper.make_node("Add", ["a", "a"], ["b"])],
                             opset_imports=[helper.make_opsetid("", 17)])
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    g = helper.make_graph([helper.make_node("Twice", ["x"], ["y"], domain="custom.fn", name="twice")],
                          "fn", [x], [y])
    m = helper.make_model(g, opset_imports=opset() + [helper.make_opsetid("custom.fn", 1)], functions=[f])
    save(m, "function.onnx")


# 8. old IR: initializers listed as graph inputs; "ai.onnx" opset domain -----------
def make_old_ir():
    w = raw_tensor("w", np.ones((2,), dtype=np.float32))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    wi = helper.make_tensor_value_info("w", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    # Nodes deliberately out of order: the loader must sort them.
    nodes = [helper.make_node("Relu", ["t"], ["y"]), helper.make_node("Add", ["x", "w"], ["t"])]
    g = helper.make_graph(nodes, "old", [x, wi], [y], initializer=[w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("ai.onnx", 9)], ir_version=3)
    save(m, "old_ir.onnx", check=False)


# 9. invalid graphs --------------------------------------------------------------
def make_invalid():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    g = helper.make_graph([helper.make_node("Add", ["x", "nowhere"], ["y"])], "dangling", [x], [y])
    save(helper.make_model(g, opset_imports=opset()), "dangling.onnx", check=False)
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Neg", ["x"], ["y"])],
                          "dup", [x], [y])
    save(helper.make_model(g, opset_imports=opset()), "duplicate_output.onnx", check=False)
    g = helper.make_graph([helper.make_node("Relu", ["z"], ["y"]), helper.make_node("Neg", ["y"], ["z"])],
                          "cycle", [x], [y])
    save(helper.make_model(g, opset_imports=opset()), "cycle.onnx", check=False)


# 10. tensor files -----------------------------------------------------------------
def make_tensor_files():
    a = (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5)
    with open(out("tensor_raw.pb"), "wb") as f:
        f.write(numpy_helper.from_array(a, "input_0").SerializeToString())
    t = typed_tensor("typed", TensorProto.INT64, [3], "int64_data", [-1, 0, 9])
    with open(out("tensor_typed.pb"), "wb") as f:
        f.write(t.SerializeToString())
    arrays = {
        "f4": a,
        "f2": np.array([1.0, -2.0, 0.5], dtype=np.float16),
        "i1": np.array([-128, 0, 127], dtype=np.int8),
        "u1": np.array([[0, 255]], dtype=np.uint8),
        "i4": np.array([-7, 8], dtype=np.int32),
        "i8": np.array([[1], [-(1 << 40)]], dtype=np.int64),
        "b1": np.array([True, False, True], dtype=np.bool_),
        "scalar": np.array(4.5, dtype=np.float32),
    }
    for k, v in arrays.items():
        np.save(out(f"{k}.npy"), v)
    for ver in [(2, 0), (3, 0)]:
        with open(out(f"v{ver[0]}.npy"), "wb") as f:
            np.lib.format.write_array(f, a, version=ver)
    np.save(out("fortran.npy"), np.asfortranarray(a))
    np.save(out("bigendian.npy"), a.astype(">f4"))
    np.save(out("f8.npy"), a.astype(np.float64))


if __name__ == "__main__":
    make_typed()
    make_raw()
    make_external()
    make_constants()
    make_bad_dtypes()
    make_if()
    make_function()
    make_old_ir()
    make_invalid()
    make_tensor_files()
    print("fixtures written to", HERE)
