package io.latentwatch.pipeline.kafka;

import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.ScoredFrame;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;
import java.util.stream.IntStream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * The Avro values of the latents and alerts topics ({@link ValueFormat#AVRO}): the schemas kept in the repository
 * ({@value #LATENTS_SCHEMA}, {@value #ALERTS_SCHEMA}, namespace {@code io.latentwatch}) and how a scored frame or an
 * alert fills their records. Field for field what {@link JsonRecords} writes: a number that is not finite is null
 * there, so it is null here too, and times are epoch milliseconds (Avro {@code long}).
 */
public final class AvroRecords {

    /** Classpath resource of the latents schema. */
    public static final String LATENTS_SCHEMA = "/avro/latents.avsc";
    /** Classpath resource of the alerts schema. */
    public static final String ALERTS_SCHEMA = "/avro/alerts.avsc";

    private AvroRecords() {}

    /**
     * The latents schema: source, frame_id, captured_at, model_version, mse, kl, score, threshold, anomaly, region,
     * peak, mu[], log_var[].
     */
    public static Schema latentsSchema() {
        return Schemas.LATENTS;
    }

    /**
     * The alerts schema: source, frame_id, captured_at, detected_at, model_version, score, threshold, severity, mse,
     * region, peak, anomaly_map_png.
     */
    public static Schema alertsSchema() {
        return Schemas.ALERTS;
    }

    /**
     * A scored frame's fields into a latents record; every field is set, so a record can be filled again for the
     * next frame. The arrays are views of the frame's own, not copies.
     */
    public static void latents(ScoredFrame f, GenericRecord r) {
        r.put("source", f.source);
        r.put("frame_id", f.frameId);
        r.put("captured_at", f.capturedAt);
        r.put("model_version", f.modelVersion);
        r.put("mse", finiteOrNull(f.mse));
        r.put("kl", finiteOrNull(f.kl));
        r.put("score", finiteOrNull(f.score));
        r.put("threshold", finiteOrNull(f.threshold));
        r.put("anomaly", f.anomaly);
        r.put("region", ints(f.region));
        r.put("peak", ints(f.peak));
        r.put("mu", new FiniteFloats(f.mu));
        r.put("log_var", new FiniteFloats(f.logVar));
    }

    /** An alert's fields into an alerts record; every field is set, as {@link #latents}. */
    public static void alert(Alert a, GenericRecord r) {
        r.put("source", a.source);
        r.put("frame_id", a.frameId);
        r.put("captured_at", a.capturedAt);
        r.put("detected_at", a.detectedAt);
        r.put("model_version", a.modelVersion);
        r.put("score", finiteOrNull(a.score));
        r.put("threshold", finiteOrNull(a.threshold));
        r.put("severity", a.severity.label());
        r.put("mse", finiteOrNull(a.mse));
        r.put("region", ints(a.region));
        r.put("peak", ints(a.peak));
        r.put("anomaly_map_png", a.anomalyMapPng == null ? null : ByteBuffer.wrap(a.anomalyMapPng));
    }

    /** Parses a schema resource of this jar. */
    static Schema schema(String resource) {
        try (InputStream in = AvroRecords.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the Avro schema " + resource + " is not on the classpath");
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Avro schema " + resource, e);
        }
    }

    private static Double finiteOrNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** An int array (two or four values) as the list Avro's writer takes for {@code array<int>}, or null. */
    private static List<Integer> ints(int[] values) {
        return values == null ? null : IntStream.of(values).boxed().toList();
    }

    /** Parsed once per JVM, on first use: by a sink writer where it opens, not where the job graph is built. */
    private static final class Schemas {
        static final Schema LATENTS = schema(LATENTS_SCHEMA);
        static final Schema ALERTS = schema(ALERTS_SCHEMA);
    }

    /**
     * A float array as the list that Avro's writer takes for {@code array<["null", "float"]>}: no copy, a value
     * boxed only as it is written, null where it is not finite (as in the JSON).
     */
    private static final class FiniteFloats extends AbstractList<Float> implements RandomAccess {
        private final float[] values;

        FiniteFloats(float[] values) {
            this.values = values;
        }

        @Override
        public Float get(int i) {
            float v = values[i];
            return Float.isFinite(v) ? v : null;
        }

        @Override
        public int size() {
            return values.length;
        }
    }
}
