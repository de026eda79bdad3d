package io.latentwatch.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The model-updates value: exactly DESIGN.md's fields, in its order, nulls written, NaN never written. */
class ModelUpdateTest {

    private static final List<String> DESIGN_FIELDS = List.of("version", "parent_version", "path", "sha256", "accepted", "reason",
            "val_loss_before", "val_loss_after", "created_at");

    @Test
    void acceptedUpdateHasExactlyTheDesignFields() {
        ModelUpdate u = new ModelUpdate(7L, 6L, "/registry/v000007", "ab12", true, "held-out eval_mse 0.03 -> 0.02", 0.03, 0.02,
                Instant.parse("2026-11-26T10:15:30Z"));
        JsonObject o = JsonParser.parseString(u.toJson()).getAsJsonObject();
        assertEquals(DESIGN_FIELDS, new ArrayList<>(o.keySet()));
        assertEquals(DESIGN_FIELDS, ModelUpdate.FIELDS);
        assertEquals("{\"version\":7,\"parent_version\":6,\"path\":\"/registry/v000007\",\"sha256\":\"ab12\",\"accepted\":true,"
                + "\"reason\":\"held-out eval_mse 0.03 -> 0.02\",\"val_loss_before\":0.03,\"val_loss_after\":0.02,"
                + "\"created_at\":\"2026-11-26T10:15:30Z\"}", u.toJson());
        assertEquals(u, ModelUpdate.fromJson(u.toJson()));
    }

    @Test
    void rejectedUpdateWritesNullsAndNoNaN() {
        ModelUpdate u = ModelUpdate.rejected(3L, "candidate weight 'fc_mu.weight' holds NaN", 0.04, Double.NaN, Instant.EPOCH);
        String json = u.toJson();
        assertEquals("{\"version\":null,\"parent_version\":3,\"path\":null,\"sha256\":null,\"accepted\":false,"
                + "\"reason\":\"candidate weight 'fc_mu.weight' holds NaN\",\"val_loss_before\":0.04,\"val_loss_after\":null,"
                + "\"created_at\":\"1970-01-01T00:00:00Z\"}", json);
        assertEquals(u, ModelUpdate.fromJson(json));
    }

    @Test
    void malformedValuesAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelUpdate.fromJson("{\"version\":1}"));
        assertEquals("model update lacks \"parent_version\"", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ModelUpdate(null, 1L, null, null, true, "x", null, null, Instant.EPOCH));
        assertEquals("an accepted model update needs version, path and sha256", e.getMessage());
    }

    /** DESIGN.md's Kafka table lists the same fields (skipped where the shared folder is not checked out beside the repo). */
    @Test
    void designDocumentListsTheSameFields() throws Exception {
        Path design = Fixtures.root().resolve("../../DESIGN.md").normalize();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(design), "no " + design);
        Matcher m = Pattern.compile("\\| `model-updates` \\|[^|]*\\| JSON: ([^|]*)\\|").matcher(Files.readString(design));
        assertTrue(m.find(), "DESIGN.md has a model-updates row");
        // the signature is optional: "created_at (optionally a signature)"
        Matcher optional = Pattern.compile("\\(optionally an? (\\w+)\\)").matcher(m.group(1));
        List<String> fields = new ArrayList<>();
        for (String f : optional.replaceAll("").split(",")) {
            fields.add(f.trim());
        }
        assertEquals(DESIGN_FIELDS, fields);
        assertTrue(optional.reset().find(), "the optional signature is named: " + m.group(1));
        assertEquals(ModelUpdateSignature.FIELD, optional.group(1));
    }
}
