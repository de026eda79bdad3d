package io.latentwatch.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DIP-VAE of PyTorch-VAE ({@code models/dip_vae.py}), generalised to any image size divisible by
 * 2^len(hidden_dims), with the same layer layout and parameter names (see DESIGN.md, "Model").
 *
 * <p>Forward input: {@code [x]} or {@code [x, eps]}, x of shape (batch, in_channels, image_size, image_size) in
 * [−1, 1], eps of shape (batch, latent_dim). Output: {@code [recon, mu, log_var, z]}. In training mode
 * z = mu + eps·exp(½·log_var) (eps drawn from N(0, 1) when not given) and BatchNorm uses batch statistics; in eval
 * mode z = mu.
 */
public final class DipVae extends AbstractBlock {

    private static final byte VERSION = 1;

    private final DipVaeConfig config;
    /** Every layer under its PyTorch-VAE module path, in forward order. */
    private final Map<String, Block> layers = new LinkedHashMap<>();

    private final List<Block[]> encoder = new ArrayList<>();
    private final Linear fcMu;
    private final Linear fcVar;
    private final Linear decoderInput;
    private final List<Block[]> decoder = new ArrayList<>();
    private final Block[] finalLayer;

    public DipVae(DipVaeConfig config) {
        super(VERSION);
        this.config = config.validate();
        int[] hidden = config.hiddenDims();
        float eps = config.batchNormEps();
        int c = config.inChannels();
        for (int i = 0; i < hidden.length; i++) {
            Block conv = Conv2d.builder()
                    .setKernelShape(new Shape(3, 3))
                    .optStride(new Shape(2, 2))
                    .optPadding(new Shape(1, 1))
                    .setFilters(hidden[i])
                    .build();
            fanInInit(conv, c * 9L);
            encoder.add(new Block[] {layer("encoder." + i + ".0", conv), layer("encoder." + i + ".1", new BatchNorm2d(eps))});
            c = hidden[i];
        }
        int flat = config.flatFeatures();
        int latent = config.latentDim();
        fcMu = layer("fc_mu", fanInInit(Linear.builder().setUnits(latent).build(), flat));
        fcVar = layer("fc_var", fanInInit(Linear.builder().setUnits(latent).build(), flat));
        decoderInput = layer("decoder_input", fanInInit(Linear.builder().setUnits(flat).build(), latent));
        for (int i = hidden.length - 1, k = 0; i > 0; i--, k++) {
            decoder.add(new Block[] {
                layer("decoder." + k + ".0", new ConvTranspose2d(hidden[i - 1])),
                layer("decoder." + k + ".1", new BatchNorm2d(eps))
            });
        }
        Block last = Conv2d.builder()
                .setKernelShape(new Shape(3, 3))
                .optPadding(new Shape(1, 1))
                .setFilters(config.inChannels())
                .build();
        fanInInit(last, hidden[0] * 9L);
        finalLayer = new Block[] {
            layer("final_layer.0", new ConvTranspose2d(hidden[0])),
            layer("final_layer.1", new BatchNorm2d(eps)),
            layer("final_layer.3", last)
        };
    }

    private <B extends Block> B layer(String path, B block) {
        layers.put(path, block);
        return addChildBlock(path, block);
    }

    /** PyTorch's default initialisation for Conv2d and Linear: weight and bias ~ U(±1/√fan_in). */
    private static <B extends Block> B fanInInit(B block, long fanIn) {
        UniformInitializer init = new UniformInitializer((float) (1 / Math.sqrt(fanIn)));
        block.setInitializer(init, Parameter.Type.WEIGHT);
        block.setInitializer(init, Parameter.Type.BIAS);
        return block;
    }

    public DipVaeConfig getConfig() {
        return config;
    }

    /** Shape of one input batch: (batch, in_channels, image_size, image_size). */
    public Shape inputShape(long batch) {
        return new Shape(batch, config.inChannels(), config.imageSize(), config.imageSize());
    }

    /** Allocates every parameter (PyTorch's default initialisation) on the manager's device. */
    public DipVae initialize(NDManager manager) {
        initialize(manager, DataType.FLOAT32, inputShape(1));
        return this;
    }

    /** The layers under their PyTorch-VAE module paths ("encoder.0.0", "fc_mu", "final_layer.3", ...). */
    public Map<String, Block> layers() {
        return Collections.unmodifiableMap(layers);
    }

    /**
     * Every parameter and BatchNorm running statistic under its PyTorch state_dict name (e.g.
     * "encoder.0.1.running_var"); num_batches_tracked is not an array here, see {@link #batchNorms()}.
     */
    public Map<String, Parameter> stateDict() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        layers.forEach(
                (path, block) -> {
                    for (Parameter p : block.getDirectParameters().values()) {
                        out.put(path + "." + p.getName(), p);
                    }
                });
        return out;
    }

    /** The BatchNorm layers under their module paths. */
    public Map<String, BatchNorm2d> batchNorms() {
        Map<String, BatchNorm2d> out = new LinkedHashMap<>();
        layers.forEach(
                (path, block) -> {
                    if (block instanceof BatchNorm2d) {
                        out.put(path, (BatchNorm2d) block);
                    }
                });
        return out;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        for (Block[] stage : encoder) {
            s = initChain(manager, dataType, s, stage);
        }
        Shape flat = new Shape(s.get(0), config.flatFeatures());
        fcMu.initialize(manager, dataType, flat);
        fcVar.initialize(manager, dataType, flat);
        Shape latent = new Shape(s.get(0), config.latentDim());
        decoderInput.initialize(manager, dataType, latent);
        s = new Shape(s.get(0), config.hiddenDims()[config.hiddenDims().length - 1], config.bottleneckSize(), config.bottleneckSize());
        for (Block[] stage : decoder) {
            s = initChain(manager, dataType, s, stage);
        }
        initChain(manager, dataType, s, finalLayer);
    }

    private static Shape initChain(NDManager manager, DataType dataType, Shape s, Block... blocks) {
        for (Block b : blocks) {
            b.initialize(manager, dataType, s);
            s = b.getOutputShapes(new Shape[] {s})[0];
        }
        return s;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long batch = inputShapes[0].get(0);
        Shape latent = new Shape(batch, config.latentDim());
        return new Shape[] {inputShapes[0], latent, latent, latent};
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDList enc = encode(ps, x, training);
        NDArray mu = enc.get(0);
        NDArray logVar = enc.get(1);
        NDArray z;
        if (training) {
            NDArray eps = inputs.size() > 1 ? inputs.get(1) : x.getManager().randomNormal(mu.getShape(), mu.getDataType());
            z = mu.add(eps.mul(logVar.mul(EngineArrays.scalar(logVar, 0.5)).exp())); // not mul(0.5f): see EngineArrays
        } else {
            z = mu;
        }
        NDArray recon = decode(ps, z, training);
        return new NDList(recon, mu, logVar, z);
    }

    /**
     * Encodes frames.
     *
     * @param x shape (batch, in_channels, image_size, image_size)
     * @return [mu, log_var], each of shape (batch, latent_dim)
     */
    public NDList encode(ParameterStore ps, NDArray x, boolean training) {
        NDArray h = x;
        for (Block[] stage : encoder) {
            h = stageForward(ps, h, training, stage);
        }
        h = h.reshape(h.getShape().get(0), config.flatFeatures());
        NDList flat = new NDList(h);
        NDArray mu = fcMu.forward(ps, flat, training).singletonOrThrow();
        NDArray logVar = fcVar.forward(ps, flat, training).singletonOrThrow();
        return new NDList(mu, logVar);
    }

    /**
     * Decodes latent vectors.
     *
     * @param z shape (batch, latent_dim)
     * @return reconstruction of shape (batch, in_channels, image_size, image_size), in [−1, 1]
     */
    public NDArray decode(ParameterStore ps, NDArray z, boolean training) {
        int s = config.bottleneckSize();
        int[] hidden = config.hiddenDims();
        NDArray h = decoderInput.forward(ps, new NDList(z), training).singletonOrThrow();
        h = h.reshape(z.getShape().get(0), hidden[hidden.length - 1], s, s);
        for (Block[] stage : decoder) {
            h = stageForward(ps, h, training, stage);
        }
        h = stageForward(ps, h, training, finalLayer[0], finalLayer[1]);
        h = finalLayer[2].forward(ps, new NDList(h), training).singletonOrThrow();
        return h.tanh();
    }

    /** Layer, BatchNorm, LeakyReLU. */
    private NDArray stageForward(ParameterStore ps, NDArray x, boolean training, Block... stage) {
        NDArray h = x;
        for (Block b : stage) {
            h = b.forward(ps, new NDList(h), training).singletonOrThrow();
        }
        return Activation.leakyRelu(h, config.leakyReluSlope());
    }

    /** The encoder stages, each [Conv2d, BatchNorm2d]. */
    List<Block[]> encoderStages() {
        return encoder;
    }

    /** The decoder stages, each [ConvTranspose2d, BatchNorm2d]. */
    List<Block[]> decoderStages() {
        return decoder;
    }

    /** final_layer: [ConvTranspose2d, BatchNorm2d, Conv2d]. */
    Block[] finalLayer() {
        return finalLayer;
    }

    Linear fcMu() {
        return fcMu;
    }

    Linear fcVar() {
        return fcVar;
    }

    Linear decoderInput() {
        return decoderInput;
    }
}
