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
 * An eval-mode snapshot of a {@link DipVae} for scoring, with the same outputs up to rounding and fewer engine
 * calls and multiply-adds:
 *
 * <ul>
 *   <li>each BatchNorm folded into the convolution before it: w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β;
 *   <li>fc_mu and fc_var stacked into one matrix;
 *   <li>decoder_input and the first transposed convolution composed into one matrix (nothing non-linear lies
 *       between them), where that matrix is cheaper than the two layers;
 *   <li>the transposed convolutions' phase kernels computed once, and final_layer's Conv2d run on the phases of
 *       the transposed convolution before it ({@link PhaseConv2d});
 *   <li>activations stored channels-last (NHWC) where that is faster, and weights optionally in half precision (fp16).
 * </ul>
 *
 * It has no autograd, owns its arrays (close it), and a model update builds a new one, so a scorer never sees
 * half-updated weights.
 */
public final class FusedDipVae implements AutoCloseable {

    private final DipVaeConfig config;
    private final NDManager manager;
    private final DataType dataType;
    private final MemoryLayout layout;
    /** Holds intermediate arrays while the snapshot is built; closed at the end of the constructor. */
    private final NDManager build;
    private final List<NDArray[]> encoder = new ArrayList<>(); // {weight, bias}
    private final NDArray fcWeight; // fc_mu and fc_var stacked: one matmul yields [mu | log_var]
    private final NDArray fcBias;
    private final NDArray decoderInputWeight;
    private final NDArray decoderInputBias;
    /** Shape (C, H, W) of decoder_input's output: the bottleneck, or the first stage's output when composed. */
    private final long[] decoderInputShape;
    /** Whether decoder_input includes the first transposed convolution (then its LeakyReLU follows it). */
    private final boolean composedFirstStage;
    private final List<NDArray[]> decoder = new ArrayList<>(); // {phase kernel, phase bias}; final ConvTranspose last
    private final NDArray finalWeight;
    private final NDArray finalBias;
    private final double flopsPerFrame;

    private FusedDipVae(DipVae model, NDManager parent, DataType dataType, MemoryLayout layout) {
        this.config = model.getConfig();
        this.manager = parent.newSubManager();
        this.dataType = dataType;
        this.layout = layout;
        this.build = manager.newSubManager();
        for (Block[] stage : model.encoderStages()) {
            NDArray[] wb = fold(weights(stage[0]), (BatchNorm2d) stage[1], false);
            encoder.add(new NDArray[] {keep(wb[0]), keep(wb[1])});
        }
        NDArray[] mu = weights(model.fcMu());
        NDArray[] var = weights(model.fcVar());
        fcWeight = keep(mu[0].concat(var[0], 0));
        fcBias = keep(mu[1].concat(var[1], 0));

        List<NDArray[]> stages = new ArrayList<>();
        for (Block[] stage : model.decoderStages()) {
            stages.add(fold(weights(stage[0]), (BatchNorm2d) stage[1], true));
        }
        Block[] fin = model.finalLayer();
        stages.add(fold(weights(fin[0]), (BatchNorm2d) fin[1], true));

        NDArray[] di = weights(model.decoderInput());
        int[] hidden = config.hiddenDims();
        long s = config.bottleneckSize();
        long top = hidden[hidden.length - 1];
        long next = stages.get(0)[0].getShape().get(0) / 4;
        long latent = config.latentDim();
        double composedMacs = latent * next * 4 * s * s;
        double separateMacs = latent * top * s * s + top * next * 9 * s * s;
        composedFirstStage = stages.size() > 1 && composedMacs <= separateMacs; // final_layer keeps its own
        if (composedFirstStage) {
            NDArray[] first = stages.remove(0);
            // decoder_input then the first (BatchNorm-folded) transposed convolution, evaluated on the unit basis
            NDArray basis = di[0].transpose().reshape(latent, top, s, s);
            NDArray w = ConvTranspose2d.apply(basis, first[0], null).reshape(latent, -1).transpose();
            NDArray b = ConvTranspose2d.apply(di[1].reshape(1, top, s, s), first[0], first[1]).reshape(-1);
            decoderInputShape = new long[] {next, 2 * s, 2 * s};
            decoderInputWeight = keep(orderForLayout(w, decoderInputShape));
            decoderInputBias = keep(orderForLayout(b.reshape(-1, 1), decoderInputShape).reshape(-1));
        } else {
            decoderInputShape = new long[] {top, s, s};
            decoderInputWeight = keep(orderForLayout(di[0], decoderInputShape));
            decoderInputBias = keep(orderForLayout(di[1].reshape(-1, 1), decoderInputShape).reshape(-1));
        }
        for (NDArray[] stage : stages) {
            decoder.add(new NDArray[] {keep(stage[0]), keep(stage[1])});
        }
        NDArray[] last = weights(fin[2]);
        finalWeight = keep(PhaseConv2d.kernel(last[0], build));
        finalBias = keep(PhaseConv2d.bias(last[1], build));
        flopsPerFrame = countFlops();
        build.close();
    }

    /**
     * Snapshots a model's current weights, channels-last on every device.
     *
     * @param manager parent manager; the snapshot lives on its device in a sub-manager
     * @param dataType FLOAT32 or FLOAT16
     */
    public static FusedDipVae of(DipVae model, NDManager manager, DataType dataType) {
        return of(model, manager, dataType, MemoryLayout.NHWC);
    }

    /** As {@link #of(DipVae, NDManager, DataType)} with a chosen memory layout. */
    public static FusedDipVae of(DipVae model, NDManager manager, DataType dataType, MemoryLayout layout) {
        if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT16) {
            // bfloat16 is absent from DJL 0.36's PyTorch JNI: converting to it aborts the process
            throw new IllegalArgumentException("precision must be float32 or float16, got " + dataType);
        }
        return new FusedDipVae(model, manager, dataType, layout);
    }

    public DipVaeConfig getConfig() {
        return config;
    }

    public DataType getDataType() {
        return dataType;
    }

    public MemoryLayout getLayout() {
        return layout;
    }

    /** Floating-point operations this snapshot executes per frame (composition makes it fewer than the config's). */
    public double flopsPerFrame() {
        return flopsPerFrame;
    }

    private double countFlops() {
        double macs = 0;
        long size = config.imageSize();
        for (NDArray[] wb : encoder) {
            size /= 2;
            macs += size * size * (double) wb[0].size();
        }
        macs += fcWeight.size() + decoderInputWeight.size();
        size = decoderInputShape[1];
        for (NDArray[] kb : decoder) {
            macs += size * size * (double) kb[0].size(); // stride-1 2×2 conv over the (H, W) input
            size *= 2;
        }
        macs += size * size * (double) finalWeight.size() / 4; // phase grid: a quarter of the output pixels
        return 2 * macs;
    }

    /**
     * Reorders the rows of a (C·H·W, k) matrix whose rows are in C, H, W order into the order this layout stores
     * a (C, H, W) map in, so that a matmul output reshapes into the layout without a copy.
     */
    private NDArray orderForLayout(NDArray rows, long[] chw) {
        if (layout == MemoryLayout.NCHW) {
            return rows;
        }
        long k = rows.getShape().get(1);
        return rows.reshape(chw[0], chw[1], chw[2], k).transpose(1, 2, 0, 3).reshape(-1, k);
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
            return new NDArray[] {ConvTranspose2d.phaseKernel(w, build), ConvTranspose2d.phaseBias(bias, build)};
        }
        return new NDArray[] {wb[0].mul(scale.reshape(-1, 1, 1, 1)), bias};
    }

    private NDArray keep(NDArray a) {
        NDArray out = a.toType(dataType, true);
        out.attach(manager);
        return out;
    }

    /**
     * Scores frames in eval mode: encode, decode μ, compare.
     *
     * @param x shape (batch, in_channels, image_size, image_size), float32 in [−1, 1], stored in this snapshot's
     *     layout ({@link MemoryLayout#arrange} or {@link MemoryLayout#upload})
     * @return float32 (batch, 2 + 2·latent_dim): per frame [mse, kl, μ..., log σ²...], mse the mean over pixels of
     *     (decode(μ) − x)² and kl the frame's KL divergence to the prior
     */
    public NDArray score(NDArray x) {
        return score(x, null).get(0);
    }

    /**
     * Scores frames as {@link #score(NDArray)} does and, in the same pass, measures their anomaly maps.
     *
     * @param map how the per-pixel error is measured, or null for none
     * @return {scores as {@link #score(NDArray)}, maps (batch, image_size, image_size) float32} (the maps only where
     *     {@code map} is given)
     */
    public NDList score(NDArray x, ReconstructionMap map) {
        long batch = x.getShape().get(0);
        NDArray arranged = x;
        NDArray latents = encodeArranged(arranged);
        NDArray mu = latents.get(":, :" + config.latentDim());
        NDArray recon = decode(mu).toType(DataType.FLOAT32, false);
        // same layout on both sides, so the difference runs as one dense loop
        NDArray mse = recon.sub(arranged).square().sum(new int[] {1, 2, 3}).div(config.frameValues());
        NDArray l32 = latents.toType(DataType.FLOAT32, false);
        NDArray kl = DipLoss.klPerFrame(l32.get(":, :" + config.latentDim()), l32.get(":, " + config.latentDim() + ":"));
        NDArray scores = mse.reshape(batch, 1).concat(kl.reshape(batch, 1), 1).concat(l32, 1);
        return map == null ? new NDList(scores) : new NDList(scores, map.apply(recon, arranged.toType(DataType.FLOAT32, false)));
    }

    /**
     * Encodes frames.
     *
     * @param x shape (batch, in_channels, image_size, image_size), any float type (cast to this model's)
     * @return (batch, 2·latent_dim): μ in the first half, log σ² in the second, in this model's precision
     */
    public NDArray encode(NDArray x) {
        return encodeArranged(layout.arrange(x));
    }

    private NDArray encodeArranged(NDArray x) {
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
     * @return reconstruction (batch, in_channels, image_size, image_size) in this model's precision and layout
     */
    public NDArray decode(NDArray z) {
        long batch = z.getShape().get(0);
        NDArray h = Linear.linear(z.toType(dataType, false), decoderInputWeight, decoderInputBias).singletonOrThrow();
        long c = decoderInputShape[0];
        long s = decoderInputShape[1];
        if (layout == MemoryLayout.NHWC) {
            h = h.reshape(batch, s, s, c).transpose(0, 3, 1, 2);
        } else {
            h = h.reshape(batch, c, s, s);
        }
        if (composedFirstStage) {
            h = Activation.leakyRelu(h, config.leakyReluSlope());
        }
        for (int i = 0; i < decoder.size() - 1; i++) {
            NDArray[] kb = decoder.get(i);
            h = Activation.leakyRelu(ConvTranspose2d.apply(h, kb[0], kb[1], layout), config.leakyReluSlope());
        }
        // final_layer: its transposed convolution's phases feed the last Conv2d directly, in phase space
        NDArray[] last = decoder.get(decoder.size() - 1);
        NDArray phases = Activation.leakyRelu(ConvTranspose2d.phases(h, last[0], last[1]), config.leakyReluSlope());
        return layout.depthToSpace(PhaseConv2d.apply(phases, finalWeight, finalBias)).tanh();
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
