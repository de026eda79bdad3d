package io.latentwatch.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.List;

/**
 * An eval-mode snapshot of a {@link DipVae} for scoring: each BatchNorm folded into the convolution before it
 * (w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β), the transposed convolutions' phase kernels computed once, and the
 * weights optionally cast to half precision. It has no autograd and fewer engine calls per frame than the Block;
 * it owns its arrays (close it), and a model update builds a new one, so a running scorer never sees half-updated
 * weights.
 */
public final class FusedDipVae implements AutoCloseable {

    private final DipVaeConfig config;
    private final NDManager manager;
    private final DataType dataType;
    private final List<NDArray[]> encoder = new ArrayList<>(); // {weight, bias}
    private final NDArray fcWeight; // fc_mu and fc_var stacked: one matmul yields [mu | log_var]
    private final NDArray fcBias;
    private final NDArray decoderInputWeight;
    private final NDArray decoderInputBias;
    private final List<NDArray[]> decoder = new ArrayList<>(); // {phase kernel, phase bias}, final ConvTranspose last
    private final NDArray finalWeight;
    private final NDArray finalBias;

    /** Holds intermediate arrays while the snapshot is built; closed at the end of the constructor. */
    private final NDManager build;

    private FusedDipVae(DipVae model, NDManager parent, DataType dataType) {
        this.config = model.getConfig();
        this.manager = parent.newSubManager();
        this.dataType = dataType;
        this.build = manager.newSubManager();
        for (Block[] stage : model.encoderStages()) {
            NDArray[] wb = fold(weights(stage[0]), (BatchNorm2d) stage[1], false);
            encoder.add(wb);
        }
        NDArray[] mu = weights(model.fcMu());
        NDArray[] var = weights(model.fcVar());
        fcWeight = keep(mu[0].concat(var[0], 0));
        fcBias = keep(mu[1].concat(var[1], 0));
        NDArray[] di = weights(model.decoderInput());
        decoderInputWeight = keep(di[0]);
        decoderInputBias = keep(di[1]);
        for (Block[] stage : model.decoderStages()) {
            decoder.add(fold(weights(stage[0]), (BatchNorm2d) stage[1], true));
        }
        Block[] fin = model.finalLayer();
        decoder.add(fold(weights(fin[0]), (BatchNorm2d) fin[1], true));
        NDArray[] last = weights(fin[2]);
        finalWeight = keep(last[0]);
        finalBias = keep(last[1]);
        build.close();
    }

    /**
     * Snapshots a model's current weights.
     *
     * @param manager parent manager; the snapshot lives on its device in a sub-manager
     * @param dataType FLOAT32, FLOAT16 or BFLOAT16
     */
    public static FusedDipVae of(DipVae model, NDManager manager, DataType dataType) {
        if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT16 && dataType != DataType.BFLOAT16) {
            throw new IllegalArgumentException("precision must be float32, float16 or bfloat16, got " + dataType);
        }
        return new FusedDipVae(model, manager, dataType);
    }

    public DipVaeConfig getConfig() {
        return config;
    }

    public DataType getDataType() {
        return dataType;
    }

    public NDManager getManager() {
        return manager;
    }

    private NDArray[] weights(Block block) {
        return new NDArray[] {copy(block.getParameters().get("weight").getArray()), copy(block.getParameters().get("bias").getArray())};
    }

    /** A copy in the build scope on this snapshot's device (derived arrays then stay out of the model's manager). */
    private NDArray copy(NDArray a) {
        return build.create(a.toFloatArray(), a.getShape());
    }

    /** Folds BatchNorm into a conv (weight (out, in, k, k)) or a transposed conv (weight (in, out, 3, 3)). */
    private NDArray[] fold(NDArray[] wb, BatchNorm2d bn, boolean transposed) {
        NDArray gamma = copy(bn.getGamma().getArray());
        NDArray beta = copy(bn.getBeta().getArray());
        NDArray mean = copy(bn.getRunningMean().getArray());
        NDArray var = copy(bn.getRunningVar().getArray());
        NDArray scale = gamma.div(var.add(bn.getEps()).sqrt()); // (out)
        NDArray bias = wb[1].sub(mean).mul(scale).add(beta);
        if (transposed) {
            NDArray w = wb[0].mul(scale.reshape(1, -1, 1, 1)); // scale the out axis of (in, out, 3, 3)
            return new NDArray[] {keep(ConvTranspose2d.phaseKernel(w, build)), keep(ConvTranspose2d.phaseBias(bias, build))};
        }
        return new NDArray[] {keep(wb[0].mul(scale.reshape(-1, 1, 1, 1))), keep(bias)};
    }

    private NDArray keep(NDArray a) {
        NDArray out = a.toType(dataType, true);
        out.attach(manager);
        return out;
    }

    /**
     * Encodes frames.
     *
     * @param x shape (batch, in_channels, image_size, image_size), any float type (cast to this model's)
     * @return (batch, 2·latent_dim): μ in the first half, log σ² in the second, in this model's precision
     */
    public NDArray encode(NDArray x) {
        NDArray h = x.toType(dataType, false);
        for (NDArray[] wb : encoder) {
            h = Activation.leakyRelu(Conv2d.conv2d(h, wb[0], wb[1], new Shape(2, 2), new Shape(1, 1)).singletonOrThrow(), config.leakyReluSlope());
        }
        h = h.reshape(h.getShape().get(0), config.flatFeatures());
        return Linear.linear(h, fcWeight, fcBias).singletonOrThrow();
    }

    /**
     * Decodes latent vectors.
     *
     * @param z shape (batch, latent_dim)
     * @return reconstruction (batch, in_channels, image_size, image_size) in this model's precision
     */
    public NDArray decode(NDArray z) {
        int s = config.bottleneckSize();
        int[] hidden = config.hiddenDims();
        NDArray h = Linear.linear(z.toType(dataType, false), decoderInputWeight, decoderInputBias).singletonOrThrow();
        h = h.reshape(z.getShape().get(0), hidden[hidden.length - 1], s, s);
        for (NDArray[] kb : decoder) {
            h = Activation.leakyRelu(ConvTranspose2d.apply(h, kb[0], kb[1]), config.leakyReluSlope());
        }
        h = Conv2d.conv2d(h, finalWeight, finalBias, new Shape(1, 1), new Shape(1, 1)).singletonOrThrow();
        return h.tanh();
    }

    /** Splits {@link #encode}'s output into [mu, log_var]. */
    public NDList splitLatents(NDArray latents) {
        return latents.split(2, 1);
    }

    @Override
    public void close() {
        manager.close();
    }
}
