package io.latentwatch.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import io.latentwatch.model.SafeTensors.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Moves a {@link DipVae}'s state between the model and PyTorch state_dict tensors (names like
 * "encoder.0.1.running_var", BatchNorm's num_batches_tracked included), so a weights file loads into
 * PyTorch-VAE's DIPVAE with {@code load_state_dict} and back.
 */
public final class DipVaeWeights {

    private static final String NUM_BATCHES_TRACKED = ".num_batches_tracked";

    private DipVaeWeights() {}

    /** The model's state_dict as tensors (copied to the host). */
    public static Map<String, Tensor> export(DipVae model) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        model.stateDict().forEach((name, p) -> out.put(name, Tensor.f32(p.getShape().getShape(), p.getArray().toFloatArray())));
        model.batchNorms().forEach((path, bn) -> out.put(path + NUM_BATCHES_TRACKED, Tensor.i64Scalar(bn.getNumBatchesTracked())));
        return out;
    }

    /**
     * Loads state_dict tensors into an initialised model. Everything is checked before anything is copied, so a
     * refused file leaves the model as it was.
     *
     * @param what the file's name for messages
     * @throws ModelFormatException naming the first missing, unexpected, mis-shaped or non-finite tensor
     */
    public static void load(DipVae model, Map<String, Tensor> tensors, String what) throws ModelFormatException {
        Map<String, Parameter> params = model.stateDict();
        Map<String, BatchNorm2d> norms = model.batchNorms();
        Map<String, float[]> values = new HashMap<>();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            String name = e.getKey();
            Tensor t = tensors.get(name);
            long[] expected = e.getValue().getShape().getShape();
            if (t == null) {
                throw new ModelFormatException(
                        what + " lacks tensor '" + name + "' (expected shape " + Arrays.toString(expected) + ")");
            }
            if (!"F32".equals(t.dtype)) {
                throw new ModelFormatException(what + ": tensor '" + name + "' is " + t.dtype + ", expected F32");
            }
            if (!Arrays.equals(t.shape, expected)) {
                throw new ModelFormatException(
                        what + ": tensor '" + name + "' has shape " + t.shapeString() + " but the config "
                                + model.getConfig() + " needs " + Arrays.toString(expected));
            }
            float[] v = t.floats();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new ModelFormatException(
                            what + ": tensor '" + name + "' holds " + v[i] + " at flat index " + i + " (weights must be finite)");
                }
            }
            values.put(name, v);
        }
        for (String path : norms.keySet()) {
            Tensor t = tensors.get(path + NUM_BATCHES_TRACKED);
            if (t != null && (!"I64".equals(t.dtype) || t.shape.length != 0)) {
                throw new ModelFormatException(
                        what + ": tensor '" + path + NUM_BATCHES_TRACKED + "' must be an I64 scalar, got " + t.dtype + " "
                                + t.shapeString());
            }
        }
        TreeSet<String> unexpected = new TreeSet<>(tensors.keySet());
        unexpected.removeAll(params.keySet());
        norms.keySet().forEach(p -> unexpected.remove(p + NUM_BATCHES_TRACKED));
        if (!unexpected.isEmpty()) {
            throw new ModelFormatException(
                    what + " has tensors this config does not use: " + unexpected + " (config " + model.getConfig() + ")");
        }
        params.forEach((name, p) -> replaceValues(p.getArray(), values.get(name)));
        norms.forEach(
                (path, bn) -> {
                    Tensor t = tensors.get(path + NUM_BATCHES_TRACKED);
                    bn.setNumBatchesTracked(t == null ? 0 : t.longScalar());
                });
    }

    /**
     * Puts values into an array in engine-owned memory. NDArray.set(Buffer) would make the PyTorch tensor alias a
     * Java direct buffer that only the array's Java wrapper keeps alive; tensors derived from a parameter (views
     * that autograd saves) must not depend on that.
     */
    private static void replaceValues(NDArray target, float[] values) {
        boolean requiresGradient = target.hasGradient();
        target.intern(EngineArrays.copyOf(target.getManager(), values, target.getShape()));
        if (requiresGradient) {
            target.setRequiresGradient(true);
        }
    }
}
