package io.latentwatch.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.ScoredFrame;
import io.latentwatch.scoring.Severity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.flink.formats.avro.typeutils.AvroSchemaConverter;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.types.DataType;
import org.apache.flink.util.InstantiationUtil;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The Avro values of latents and alerts carry what their JSON carries, field for field, and are what Flink's
 * {@code 'avro'} format reads for the table of docs/streaming.md.
 */
class AvroRecordsTest {

    /** As the job graph carries it to a sink writer: serialised, then opened. */
    private static <T> RecordSerializer<T> shipped(RecordSerializer<T> serializer) throws Exception {
        RecordSerializer<T> copy = InstantiationUtil.clone(serializer, AvroRecordsTest.class.getClassLoader());
        copy.open(null, null);
        return copy;
    }

    /** A plain Avro decoder, as any consumer with the schema reads the value. */
    static GenericRecord decode(Schema schema, byte[] value) throws IOException {
        return new GenericDatumReader<GenericRecord>(schema).read(null, DecoderFactory.get().binaryDecoder(value, null));
    }

    private static ScoredFrame frame(String frameId, double score, double threshold, float[] mu, float[] logVar) {
        return frame(frameId, score, threshold, mu, logVar, null, null, null);
    }

    /** A frame with a region, a peak and a PNG (each may be null). */
    private static ScoredFrame frame(String frameId, double score, double threshold, float[] mu, float[] logVar, int[] region, int[] peak,
            byte[] png) {
        ScoredFrame f = new ScoredFrame();
        f.source = "cam-1";
        f.frameId = frameId;
        f.capturedAt = 1_700_000_000_123L;
        f.scoredAt = 1_700_000_000_456L;
        f.modelVersion = 3;
        f.mse = 0.0123;
        f.kl = 4.5;
        f.score = score;
        f.mu = mu;
        f.logVar = logVar;
        f.region = region;
        f.peak = peak;
        f.anomalyMapPng = png;
        return f.judged(threshold, !(score <= threshold));
    }

    @Test
    void latentsInAvroAreTheirJsonFieldForField() throws Exception {
        RecordSerializer<ScoredFrame> json = shipped(KafkaRecords.latents("latents", ValueFormat.JSON));
        RecordSerializer<ScoredFrame> avro = shipped(KafkaRecords.latents("latents", ValueFormat.AVRO));
        List<ScoredFrame> frames = List.of(
                frame("f-1", 0.02, 0.05, new float[] {0.5f, -1.25f, 1e-7f}, new float[] {-1f, 0f, -3.5f}),
                frame("f-2", 0.9, 0.05, new float[] {Float.NaN, 2f, Float.POSITIVE_INFINITY}, new float[] {0.1f, -0.2f, 0.3f},
                        new int[] {90, 12, 36, 20}, new int[] {101, 25}, new byte[] {1, 2, 3}),
                frame("f-3", Double.NaN, Double.NaN, new float[] {1f, 2f, 3f}, new float[] {4f, 5f, 6f}));
        frames.get(2).mse = Double.POSITIVE_INFINITY; // nothing that is not finite reaches either format as a number
        List<byte[]> values = new ArrayList<>();
        for (ScoredFrame f : frames) {
            ProducerRecord<byte[], byte[]> j = json.serialize(f, null, null);
            ProducerRecord<byte[], byte[]> a = avro.serialize(f, null, null);
            assertEquals("latents", a.topic());
            assertArrayEquals(j.key(), a.key(), "the key is the source in both");
            assertFalse(a.headers().iterator().hasNext(), "no headers");
            assertSameContent(AvroRecords.latentsSchema(), JsonParser.parseString(new String(j.value(), StandardCharsets.UTF_8)).getAsJsonObject(),
                    decode(AvroRecords.latentsSchema(), a.value()));
            values.add(a.value());
        }
        // the writer reuses its record, encoder and buffer: a value already handed to Kafka must not change after
        for (int i = 0; i < frames.size(); i++) {
            assertEquals(frames.get(i).frameId, decode(AvroRecords.latentsSchema(), values.get(i)).get("frame_id").toString());
        }
        GenericRecord nan = decode(AvroRecords.latentsSchema(), values.get(2));
        assertNull(nan.get("score"), "a NaN score is null, as in the JSON");
        assertNull(nan.get("threshold"), "no threshold yet is null");
        assertEquals(true, nan.get("anomaly"));
        assertNull(nan.get("region"), "no region is null, as in the JSON");
        assertNull(nan.get("peak"));
        GenericRecord located = decode(AvroRecords.latentsSchema(), values.get(1));
        assertEquals(List.of(90, 12, 36, 20), located.get("region"), "the region, in the frame's pixels");
        assertEquals(List.of(101, 25), located.get("peak"));
        assertNull(located.getSchema().getField("anomaly_map_png"), "the PNG is for alerts only");
    }

    @Test
    void alertsInAvroAreTheirJsonFieldForField() throws Exception {
        RecordSerializer<Alert> json = shipped(KafkaRecords.alerts("alerts", ValueFormat.JSON));
        RecordSerializer<Alert> avro = shipped(KafkaRecords.alerts("alerts", ValueFormat.AVRO));
        List<Alert> alerts = List.of(
                Alert.of(frame("f-1", 0.06, 0.05, new float[] {0f}, new float[] {0f}), 1_700_000_001_000L),
                Alert.of(frame("f-2", 0.5, 0.05, new float[] {0f}, new float[] {0f}, new int[] {0, 7, 128, 1}, new int[] {127, 7},
                        new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, -1}), 1_700_000_002_000L),
                Alert.of(frame("f-3", Double.NaN, 0.05, new float[] {0f}, new float[] {0f}), 1_700_000_003_000L));
        List<String> severities = new ArrayList<>();
        for (Alert alert : alerts) {
            ProducerRecord<byte[], byte[]> j = json.serialize(alert, null, null);
            ProducerRecord<byte[], byte[]> a = avro.serialize(alert, null, null);
            assertEquals("alerts", a.topic());
            assertArrayEquals(j.key(), a.key());
            GenericRecord r = decode(AvroRecords.alertsSchema(), a.value());
            assertSameContent(AvroRecords.alertsSchema(), JsonParser.parseString(new String(j.value(), StandardCharsets.UTF_8)).getAsJsonObject(), r);
            severities.add(r.get("severity").toString());
        }
        assertEquals(List.of(Severity.LOW.label(), Severity.HIGH.label(), Severity.INVALID.label()), severities);
        GenericRecord located = decode(AvroRecords.alertsSchema(), avro.serialize(alerts.get(1), null, null).value());
        assertEquals(List.of(0, 7, 128, 1), located.get("region"));
        assertEquals(List.of(127, 7), located.get("peak"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, -1}, bytes((ByteBuffer) located.get("anomaly_map_png")));
        JsonObject plain = JsonParser.parseString(new String(json.serialize(alerts.get(0), null, null).value(), StandardCharsets.UTF_8)).getAsJsonObject();
        for (String absent : List.of("region", "peak", "anomaly_map_png")) {
            assertTrue(plain.get(absent).isJsonNull(), absent + " of an alert without a region: " + plain);
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return b;
    }

    /**
     * Flink's plain {@code 'avro'} format has no schema of its own: it reads every value with the schema it derives
     * from the table's columns. So the columns of docs/streaming.md's tables must derive exactly the repository's
     * schemas (names of the records aside, which binary Avro does not carry).
     */
    @Test
    void theDocumentedTablesDeriveTheRepositorysSchemas() {
        DataType latents = DataTypes.ROW(
                DataTypes.FIELD("source", DataTypes.STRING().notNull()),
                DataTypes.FIELD("frame_id", DataTypes.STRING().notNull()),
                DataTypes.FIELD("captured_at", DataTypes.BIGINT().notNull()),
                DataTypes.FIELD("model_version", DataTypes.BIGINT().notNull()),
                DataTypes.FIELD("mse", DataTypes.DOUBLE()),
                DataTypes.FIELD("kl", DataTypes.DOUBLE()),
                DataTypes.FIELD("score", DataTypes.DOUBLE()),
                DataTypes.FIELD("threshold", DataTypes.DOUBLE()),
                DataTypes.FIELD("anomaly", DataTypes.BOOLEAN().notNull()),
                DataTypes.FIELD("region", DataTypes.ARRAY(DataTypes.INT().notNull())),
                DataTypes.FIELD("peak", DataTypes.ARRAY(DataTypes.INT().notNull())),
                DataTypes.FIELD("mu", DataTypes.ARRAY(DataTypes.FLOAT()).notNull()),
                DataTypes.FIELD("log_var", DataTypes.ARRAY(DataTypes.FLOAT()).notNull())).notNull();
        DataType alerts = DataTypes.ROW(
                DataTypes.FIELD("source", DataTypes.STRING().notNull()),
                DataTypes.FIELD("frame_id", DataTypes.STRING().notNull()),
                DataTypes.FIELD("captured_at", DataTypes.BIGINT().notNull()),
                DataTypes.FIELD("detected_at", DataTypes.BIGINT().notNull()),
                DataTypes.FIELD("model_version", DataTypes.BIGINT().notNull()),
                DataTypes.FIELD("score", DataTypes.DOUBLE()),
                DataTypes.FIELD("threshold", DataTypes.DOUBLE()),
                DataTypes.FIELD("severity", DataTypes.STRING().notNull()),
                DataTypes.FIELD("mse", DataTypes.DOUBLE()),
                DataTypes.FIELD("region", DataTypes.ARRAY(DataTypes.INT().notNull())),
                DataTypes.FIELD("peak", DataTypes.ARRAY(DataTypes.INT().notNull())),
                DataTypes.FIELD("anomaly_map_png", DataTypes.BYTES())).notNull();
        assertSameFields(AvroRecords.latentsSchema(), AvroSchemaConverter.convertToSchema(latents.getLogicalType()));
        assertSameFields(AvroRecords.alertsSchema(), AvroSchemaConverter.convertToSchema(alerts.getLogicalType()));
    }

    @Test
    void theSchemasAreThoseOfTheRepository() {
        assertEquals("io.latentwatch.Latents", AvroRecords.latentsSchema().getFullName());
        assertEquals("io.latentwatch.Alert", AvroRecords.alertsSchema().getFullName());
    }

    private static void assertSameFields(Schema ours, Schema flinks) {
        List<String> expected = new ArrayList<>();
        ours.getFields().forEach(f -> expected.add(f.name() + ": " + f.schema()));
        List<String> derived = new ArrayList<>();
        flinks.getFields().forEach(f -> derived.add(f.name() + ": " + f.schema()));
        assertEquals(expected, derived, "Flink's avro format would read " + ours.getName() + " with another layout");
    }

    /** The JSON has the schema's fields in the schema's order, and each holds what the Avro record holds. */
    private static void assertSameContent(Schema schema, JsonObject json, GenericRecord avro) {
        List<String> fields = schema.getFields().stream().map(Schema.Field::name).toList();
        assertEquals(fields, new ArrayList<>(json.keySet()), "the JSON's fields are the schema's");
        for (String field : fields) {
            assertSameValue(field, json.get(field), avro.get(field));
        }
    }

    private static void assertSameValue(String field, JsonElement json, Object avro) {
        if (json.isJsonNull()) {
            assertNull(avro, field + " is null in the JSON");
        } else if (json.isJsonArray()) {
            JsonArray array = json.getAsJsonArray();
            List<?> list = (List<?>) avro;
            assertEquals(array.size(), list.size(), field + " length");
            for (int i = 0; i < array.size(); i++) {
                assertSameValue(field + "[" + i + "]", array.get(i), list.get(i));
            }
        } else if (avro instanceof Float f) {
            assertEquals(json.getAsFloat(), f, 0f, field); // the JSON's shortest decimal reads back as the same float
        } else if (avro instanceof Double d) {
            assertEquals(json.getAsDouble(), d, 0.0, field);
        } else if (avro instanceof Integer n) {
            assertEquals(json.getAsInt(), n, field);
        } else if (avro instanceof ByteBuffer b) {
            assertArrayEquals(Base64.getDecoder().decode(json.getAsString()), bytes(b), field + ": the JSON's base64 is the Avro bytes");
        } else if (avro instanceof Long l) {
            assertEquals(json.getAsLong(), l, field);
        } else if (avro instanceof Boolean b) {
            assertEquals(json.getAsBoolean(), b, field);
        } else {
            assertTrue(avro instanceof CharSequence, field + " is a " + (avro == null ? "null" : avro.getClass().getName()));
            assertEquals(json.getAsString(), avro.toString(), field);
        }
    }
}
