package io.latentwatch.model;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * model.json of a model directory (DESIGN.md, "Model directory"): format, version, parent_version, created_at,
 * config, normalization, calibration, training summary and the sha256 of the weights file.
 */
public final class ModelMetadata {

    public static final String FORMAT = "latentwatch-dipvae/1";
    /** The score used until a model is calibrated: per-frame mse of decode(μ). */
    public static final String DEFAULT_SCORE = "mse";

    private final long version;
    private final Long parentVersion;
    private final Instant createdAt;
    private final DipVaeConfig config;
    private final JsonObject calibration;
    private final JsonObject training;
    private final String sha256;

    public ModelMetadata(
            long version,
            Long parentVersion,
            Instant createdAt,
            DipVaeConfig config,
            JsonObject calibration,
            JsonObject training,
            String sha256) {
        this.version = version;
        this.parentVersion = parentVersion;
        this.createdAt = createdAt;
        this.config = config;
        this.calibration = calibration == null ? uncalibrated() : calibration.deepCopy();
        this.training = training == null ? new JsonObject() : training.deepCopy();
        this.sha256 = sha256;
    }

    /** Version 1 of a model with no parent, created now, not yet calibrated. */
    public static ModelMetadata initial(DipVaeConfig config, JsonObject training) {
        return new ModelMetadata(1, null, Instant.now(), config, null, training, null);
    }

    /** Calibration of a model that has none yet: the default score, no threshold. */
    public static JsonObject uncalibrated() {
        JsonObject c = new JsonObject();
        c.addProperty("score", DEFAULT_SCORE);
        c.add("threshold", JsonNull.INSTANCE);
        c.add("quantile", JsonNull.INSTANCE);
        c.addProperty("frames", 0);
        return c;
    }

    /** How pixels are mapped into the model's input space. */
    public JsonObject normalization() {
        JsonObject n = new JsonObject();
        n.addProperty("input", "p / 255 * 2 - 1");
        n.addProperty("range", "[-1, 1]");
        n.addProperty("channels", config.inChannels() == 1 ? "luma (0.299 R + 0.587 G + 0.114 B)" : "RGB");
        return n;
    }

    /** The same metadata with another calibration object. */
    public ModelMetadata withCalibration(JsonObject other) {
        return new ModelMetadata(version, parentVersion, createdAt, config, other, training, sha256);
    }

    public ModelMetadata withSha256(String sha) {
        return new ModelMetadata(version, parentVersion, createdAt, config, calibration, training, sha);
    }

    public long version() {
        return version;
    }

    public Long parentVersion() {
        return parentVersion;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public DipVaeConfig config() {
        return config;
    }

    public JsonObject calibration() {
        return calibration.deepCopy();
    }

    public JsonObject training() {
        return training.deepCopy();
    }

    public String sha256() {
        return sha256;
    }

    /** The calibrated score's name ("mse" until calibrated). */
    public String scoreName() {
        JsonElement s = calibration.get("score");
        return s == null || s.isJsonNull() ? DEFAULT_SCORE : s.getAsString();
    }

    /** The calibrated threshold, or NaN when the model has none. */
    public double threshold() {
        JsonElement t = calibration.get("threshold");
        return t == null || t.isJsonNull() ? Double.NaN : t.getAsDouble();
    }

    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("format", FORMAT);
        o.addProperty("version", version);
        if (parentVersion == null) {
            o.add("parent_version", JsonNull.INSTANCE);
        } else {
            o.addProperty("parent_version", parentVersion);
        }
        o.addProperty("created_at", createdAt.toString());
        o.add("config", config.toJson());
        o.add("normalization", normalization());
        o.add("calibration", calibration);
        o.add("training", training);
        o.addProperty("sha256", sha256);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o) + "\n";
    }

    /**
     * Parses model.json.
     *
     * @throws ModelFormatException naming the missing or malformed field
     */
    public static ModelMetadata fromJson(String text) throws ModelFormatException {
        JsonObject o;
        try {
            o = JsonParser.parseString(text).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new ModelFormatException("model.json is not a JSON object (" + e.getMessage() + ")", e);
        }
        String format = string(o, "format");
        if (!FORMAT.equals(format)) {
            throw new ModelFormatException("model.json: format is \"" + format + "\", expected \"" + FORMAT + "\"");
        }
        try {
            long version = o.get("version").getAsLong();
            JsonElement parent = o.get("parent_version");
            Long parentVersion = parent == null || parent.isJsonNull() ? null : parent.getAsLong();
            Instant created = Instant.parse(string(o, "created_at"));
            if (!o.has("config") || !o.get("config").isJsonObject()) {
                throw new ModelFormatException("model.json: missing \"config\" object");
            }
            DipVaeConfig config = DipVaeConfig.fromJson(o.getAsJsonObject("config"));
            JsonObject calibration = o.has("calibration") && o.get("calibration").isJsonObject() ? o.getAsJsonObject("calibration") : null;
            JsonObject training = o.has("training") && o.get("training").isJsonObject() ? o.getAsJsonObject("training") : null;
            String sha = string(o, "sha256");
            return new ModelMetadata(version, parentVersion, created, config, calibration, training, sha);
        } catch (IllegalArgumentException | DateTimeParseException | NullPointerException | IllegalStateException | UnsupportedOperationException e) {
            throw new ModelFormatException("model.json: " + e.getMessage(), e);
        }
    }

    private static String string(JsonObject o, String key) throws ModelFormatException {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull() || !e.isJsonPrimitive()) {
            throw new ModelFormatException("model.json: missing \"" + key + "\"");
        }
        return e.getAsString();
    }
}
