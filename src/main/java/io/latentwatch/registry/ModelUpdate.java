package io.latentwatch.registry;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * One decision about the served model, as the {@code model-updates} topic carries it (DESIGN.md): a fine-tuned
 * version accepted or rejected by the gate, the initial model, a pin or a rollback. Scorers switch to {@code path}
 * when {@code accepted} and the version differs from the one they serve.
 *
 * @param version the version to serve; null when rejected (nothing was registered)
 * @param parentVersion the version the candidate was fine-tuned from, or the model's model.json parent_version
 * @param path the version's model directory (absolute); null when rejected
 * @param sha256 of the version's weights.safetensors; null when rejected
 * @param accepted whether scorers should serve {@code version}
 * @param reason one line: the gate's numbers, its refusal, or the operator's action
 * @param valLossBefore the serving model's validation loss (held-out mean eval mse); null when not measured
 * @param valLossAfter the candidate's; null when not measured or not finite
 * @param createdAt when this decision was made (for a registered version, its model.json created_at)
 */
public record ModelUpdate(
        Long version,
        Long parentVersion,
        String path,
        String sha256,
        boolean accepted,
        String reason,
        Double valLossBefore,
        Double valLossAfter,
        Instant createdAt) {

    /** The value's fields, in the order written. */
    public static final List<String> FIELDS = List.of("version", "parent_version", "path", "sha256", "accepted", "reason",
            "val_loss_before", "val_loss_after", "created_at");

    public ModelUpdate {
        if (reason == null || createdAt == null) {
            throw new IllegalArgumentException("a model update needs a reason and a time");
        }
        if (accepted && (version == null || path == null || sha256 == null)) {
            throw new IllegalArgumentException("an accepted model update needs version, path and sha256");
        }
        valLossBefore = finiteOrNull(valLossBefore);
        valLossAfter = finiteOrNull(valLossAfter);
    }

    /** A rejected candidate of the serving version {@code parentVersion}. */
    public static ModelUpdate rejected(Long parentVersion, String reason, double valLossBefore, double valLossAfter, Instant at) {
        return new ModelUpdate(null, parentVersion, null, null, false, reason, valLossBefore, valLossAfter, at);
    }

    /** An accepted update that tells scorers to serve a registered version (initial model, pin, rollback, restore). */
    public static ModelUpdate serve(RegisteredModel model, String reason, Instant at) {
        return new ModelUpdate(model.version(), model.metadata().parentVersion(), model.path().toString(), model.metadata().sha256(),
                true, reason, null, null, at);
    }

    private static Double finiteOrNull(Double v) {
        return v == null || !Double.isFinite(v) ? null : v;
    }

    /** One line of JSON with exactly {@link #FIELDS}, nulls written as null. */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.add("version", version == null ? JsonNull.INSTANCE : new JsonPrimitive(version));
        o.add("parent_version", parentVersion == null ? JsonNull.INSTANCE : new JsonPrimitive(parentVersion));
        o.add("path", path == null ? JsonNull.INSTANCE : new JsonPrimitive(path));
        o.add("sha256", sha256 == null ? JsonNull.INSTANCE : new JsonPrimitive(sha256));
        o.addProperty("accepted", accepted);
        o.addProperty("reason", reason);
        o.add("val_loss_before", valLossBefore == null ? JsonNull.INSTANCE : new JsonPrimitive(valLossBefore));
        o.add("val_loss_after", valLossAfter == null ? JsonNull.INSTANCE : new JsonPrimitive(valLossAfter));
        o.addProperty("created_at", createdAt.toString());
        return new GsonBuilder().serializeNulls().disableHtmlEscaping().create().toJson(o);
    }

    /**
     * Parses a {@code model-updates} value. Unknown fields are ignored; a missing one is refused.
     *
     * @throws IllegalArgumentException naming the missing or malformed field
     */
    public static ModelUpdate fromJson(String json) {
        JsonObject o;
        try {
            o = JsonParser.parseString(json).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("model update is not a JSON object (" + e.getMessage() + ")", e);
        }
        for (String f : FIELDS) {
            if (!o.has(f)) {
                throw new IllegalArgumentException("model update lacks \"" + f + "\"");
            }
        }
        try {
            return new ModelUpdate(longOrNull(o.get("version")), longOrNull(o.get("parent_version")), stringOrNull(o.get("path")),
                    stringOrNull(o.get("sha256")), o.get("accepted").getAsBoolean(), o.get("reason").getAsString(),
                    doubleOrNull(o.get("val_loss_before")), doubleOrNull(o.get("val_loss_after")),
                    Instant.parse(o.get("created_at").getAsString()));
        } catch (ClassCastException | IllegalStateException | NumberFormatException | UnsupportedOperationException
                | DateTimeParseException e) {
            throw new IllegalArgumentException("model update has a malformed field (" + e.getMessage() + ")", e);
        }
    }

    private static Long longOrNull(JsonElement e) {
        return e.isJsonNull() ? null : e.getAsLong();
    }

    private static Double doubleOrNull(JsonElement e) {
        return e.isJsonNull() ? null : e.getAsDouble();
    }

    private static String stringOrNull(JsonElement e) {
        return e.isJsonNull() ? null : e.getAsString();
    }
}
