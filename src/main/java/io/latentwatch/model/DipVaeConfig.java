package io.latentwatch.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Arrays;
import java.util.Set;

/**
 * The shape and loss weights of a DIP-VAE: the {@code config} object of model.json and of the PyTorch fixtures'
 * config.json. Immutable; {@link #validate()} runs in every factory.
 */
public final class DipVaeConfig {

    private static final Set<String> KEYS =
            Set.of(
                    "in_channels",
                    "image_size",
                    "latent_dim",
                    "hidden_dims",
                    "leaky_relu_slope",
                    "batch_norm_eps",
                    "kld_weight",
                    "lambda_diag",
                    "lambda_offdiag",
                    "dip_type");

    private final int inChannels;
    private final int imageSize;
    private final int latentDim;
    private final int[] hiddenDims;
    private final float leakyReluSlope;
    private final float batchNormEps;
    private final float kldWeight;
    private final float lambdaDiag;
    private final float lambdaOffdiag;
    private final DipType dipType;

    private DipVaeConfig(Builder b) {
        this.inChannels = b.inChannels;
        this.imageSize = b.imageSize;
        this.latentDim = b.latentDim;
        this.hiddenDims = b.hiddenDims.clone();
        this.leakyReluSlope = b.leakyReluSlope;
        this.batchNormEps = b.batchNormEps;
        this.kldWeight = b.kldWeight;
        this.lambdaDiag = b.lambdaDiag;
        this.lambdaOffdiag = b.lambdaOffdiag;
        this.dipType = b.dipType;
    }

    /** PyTorch-VAE's default DIPVAE: 3×64×64, latent 128, hidden 32..512. */
    public static DipVaeConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Copies this config into a builder, to change a field or two. */
    public Builder toBuilder() {
        return builder()
                .inChannels(inChannels)
                .imageSize(imageSize)
                .latentDim(latentDim)
                .hiddenDims(hiddenDims)
                .leakyReluSlope(leakyReluSlope)
                .batchNormEps(batchNormEps)
                .kldWeight(kldWeight)
                .lambdaDiag(lambdaDiag)
                .lambdaOffdiag(lambdaOffdiag)
                .dipType(dipType);
    }

    public int inChannels() {
        return inChannels;
    }

    public int imageSize() {
        return imageSize;
    }

    public int latentDim() {
        return latentDim;
    }

    public int[] hiddenDims() {
        return hiddenDims.clone();
    }

    public float leakyReluSlope() {
        return leakyReluSlope;
    }

    public float batchNormEps() {
        return batchNormEps;
    }

    public float kldWeight() {
        return kldWeight;
    }

    public float lambdaDiag() {
        return lambdaDiag;
    }

    public float lambdaOffdiag() {
        return lambdaOffdiag;
    }

    public DipType dipType() {
        return dipType;
    }

    /** Side of the smallest feature map, image_size / 2^len(hidden_dims). */
    public int bottleneckSize() {
        return imageSize >> hiddenDims.length;
    }

    /**
     * The smallest image_size of at least {@code side} that a model of {@code layers} hidden layers takes: a multiple
     * of 2^layers, and at least that (28 → 32 for three layers). Training fits a model to a dataset's images with it.
     */
    public static int imageSizeFor(int side, int layers) {
        int stride = 1 << layers;
        return Math.max(stride, (side + stride - 1) / stride * stride);
    }

    /** Width of the flattened encoder output: hidden_dims[-1] × s × s. */
    public int flatFeatures() {
        int s = bottleneckSize();
        return hiddenDims[hiddenDims.length - 1] * s * s;
    }

    /** Pixels (times channels) of one frame. */
    public int frameValues() {
        return inChannels * imageSize * imageSize;
    }

    /**
     * Floating-point operations (2 per multiply-add) of one eval-mode frame: encoder, fc_mu, fc_var,
     * decoder_input, an ideal transposed convolution per decoder stage and the final layer.
     */
    public double flopsPerFrame() {
        double macs = 0;
        int c = inChannels;
        int size = imageSize;
        for (int h : hiddenDims) {
            size /= 2;
            macs += (double) size * size * h * c * 9;
            c = h;
        }
        int flat = flatFeatures();
        macs += 2.0 * flat * latentDim + (double) latentDim * flat;
        for (int i = hiddenDims.length - 1; i > 0; i--) {
            macs += (double) size * size * hiddenDims[i] * hiddenDims[i - 1] * 9;
            size *= 2;
        }
        int last = hiddenDims[0];
        macs += (double) size * size * last * last * 9;
        size *= 2;
        macs += (double) size * size * last * inChannels * 9;
        return 2 * macs;
    }

    /** Checks every field; the message names the field and the rule. */
    public DipVaeConfig validate() {
        check(inChannels == 1 || inChannels == 3, "in_channels must be 1 (grayscale) or 3 (RGB), got %d", inChannels);
        check(hiddenDims.length > 0, "hidden_dims must name at least one layer");
        for (int h : hiddenDims) {
            check(h > 0, "hidden_dims must be positive, got %s", Arrays.toString(hiddenDims));
        }
        check(latentDim > 0, "latent_dim must be positive, got %d", latentDim);
        int stride = 1 << hiddenDims.length;
        check(
                imageSize >= stride && imageSize % stride == 0,
                "image_size %d must be a positive multiple of 2^len(hidden_dims) = %d",
                imageSize,
                stride);
        check(leakyReluSlope >= 0 && leakyReluSlope < 1, "leaky_relu_slope must be in [0, 1), got %s", leakyReluSlope);
        check(batchNormEps > 0, "batch_norm_eps must be positive, got %s", batchNormEps);
        check(kldWeight >= 0 && Float.isFinite(kldWeight), "kld_weight must be finite and >= 0, got %s", kldWeight);
        check(lambdaDiag >= 0 && Float.isFinite(lambdaDiag), "lambda_diag must be finite and >= 0, got %s", lambdaDiag);
        check(
                lambdaOffdiag >= 0 && Float.isFinite(lambdaOffdiag),
                "lambda_offdiag must be finite and >= 0, got %s",
                lambdaOffdiag);
        return this;
    }

    private static void check(boolean ok, String format, Object... args) {
        if (!ok) {
            throw new IllegalArgumentException("config: " + String.format(format, args));
        }
    }

    /** The config as the JSON object of model.json. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("in_channels", inChannels);
        o.addProperty("image_size", imageSize);
        o.addProperty("latent_dim", latentDim);
        JsonArray dims = new JsonArray();
        for (int h : hiddenDims) {
            dims.add(h);
        }
        o.add("hidden_dims", dims);
        o.addProperty("leaky_relu_slope", leakyReluSlope);
        o.addProperty("batch_norm_eps", batchNormEps);
        o.addProperty("kld_weight", kldWeight);
        o.addProperty("lambda_diag", lambdaDiag);
        o.addProperty("lambda_offdiag", lambdaOffdiag);
        o.addProperty("dip_type", dipType.jsonName());
        return o;
    }

    /** Parses config JSON text (a fixture's config.json or model.json's config). */
    public static DipVaeConfig fromJson(String json) {
        JsonElement e;
        try {
            e = JsonParser.parseString(json);
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException("config: not valid JSON (" + ex.getMessage() + ")", ex);
        }
        if (!e.isJsonObject()) {
            throw new IllegalArgumentException("config: expected a JSON object");
        }
        return fromJson(e.getAsJsonObject());
    }

    /**
     * Reads a config object. Unknown keys are refused so that a misspelled option is not silently ignored;
     * missing keys take PyTorch-VAE's defaults except the four that define the network's shape.
     */
    public static DipVaeConfig fromJson(JsonObject o) {
        for (String key : o.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("config: unknown key \"" + key + "\" (known: " + KEYS + ")");
            }
        }
        for (String key : new String[] {"in_channels", "image_size", "latent_dim", "hidden_dims"}) {
            if (!o.has(key)) {
                throw new IllegalArgumentException("config: missing required key \"" + key + "\"");
            }
        }
        try {
            Builder b = builder();
            b.inChannels(o.get("in_channels").getAsInt());
            b.imageSize(o.get("image_size").getAsInt());
            b.latentDim(o.get("latent_dim").getAsInt());
            JsonArray dims = o.getAsJsonArray("hidden_dims");
            int[] hidden = new int[dims.size()];
            for (int i = 0; i < hidden.length; i++) {
                hidden[i] = dims.get(i).getAsInt();
            }
            b.hiddenDims(hidden);
            if (o.has("leaky_relu_slope")) {
                b.leakyReluSlope(o.get("leaky_relu_slope").getAsFloat());
            }
            if (o.has("batch_norm_eps")) {
                b.batchNormEps(o.get("batch_norm_eps").getAsFloat());
            }
            if (o.has("kld_weight")) {
                b.kldWeight(o.get("kld_weight").getAsFloat());
            }
            if (o.has("lambda_diag")) {
                b.lambdaDiag(o.get("lambda_diag").getAsFloat());
            }
            if (o.has("lambda_offdiag")) {
                b.lambdaOffdiag(o.get("lambda_offdiag").getAsFloat());
            }
            if (o.has("dip_type")) {
                b.dipType(DipType.parse(o.get("dip_type").getAsString()));
            }
            return b.build();
        } catch (ClassCastException | IllegalStateException | NumberFormatException | UnsupportedOperationException ex) {
            throw new IllegalArgumentException("config: a value has the wrong type (" + ex.getMessage() + ")", ex);
        }
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof DipVaeConfig)) {
            return false;
        }
        return toJson().equals(((DipVaeConfig) other).toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return toJson().toString();
    }

    /** Builder with PyTorch-VAE's defaults. */
    public static final class Builder {
        private int inChannels = 3;
        private int imageSize = 64;
        private int latentDim = 128;
        private int[] hiddenDims = {32, 64, 128, 256, 512};
        private float leakyReluSlope = 0.01f;
        private float batchNormEps = 1e-5f;
        private float kldWeight = 0.005f;
        private float lambdaDiag = 10f;
        private float lambdaOffdiag = 5f;
        private DipType dipType = DipType.II;

        private Builder() {}

        public Builder inChannels(int v) {
            inChannels = v;
            return this;
        }

        public Builder imageSize(int v) {
            imageSize = v;
            return this;
        }

        public Builder latentDim(int v) {
            latentDim = v;
            return this;
        }

        public Builder hiddenDims(int... v) {
            hiddenDims = v.clone();
            return this;
        }

        public Builder leakyReluSlope(float v) {
            leakyReluSlope = v;
            return this;
        }

        public Builder batchNormEps(float v) {
            batchNormEps = v;
            return this;
        }

        public Builder kldWeight(float v) {
            kldWeight = v;
            return this;
        }

        public Builder lambdaDiag(float v) {
            lambdaDiag = v;
            return this;
        }

        public Builder lambdaOffdiag(float v) {
            lambdaOffdiag = v;
            return this;
        }

        public Builder dipType(DipType v) {
            dipType = v;
            return this;
        }

        public DipVaeConfig build() {
            return new DipVaeConfig(this).validate();
        }
    }
}
