package io.latentwatch.pipeline.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.flink.util.function.SerializableSupplier;

/**
 * Records whose key is a UTF-8 function of the element and whose value is the element as plain Avro binary: the
 * datum alone, no container header, no schema registry's magic byte and schema id (what Flink's {@code 'avro'} format
 * and a bare {@code GenericDatumReader} read).
 *
 * <p>The sink calls it once per element, so each writer keeps one record, one datum writer, one encoder and one
 * buffer and reuses them; only the value's byte array is new for every element (Kafka keeps it until it is sent).
 * Not thread-safe, like the sink writer that owns it.
 *
 * @param <T> the sink's elements
 */
final class AvroValues<T> implements RecordSerializer.Contents<T> {

    private static final long serialVersionUID = 1L;

    /** How an element fills a record of the schema; it must set every field (the record is reused). */
    @FunctionalInterface
    interface Filler<T> extends Serializable {
        void fill(T element, GenericRecord record);
    }

    private final SerializableSupplier<Schema> schema;
    private final SerializableFunction<T, String> key;
    private final Filler<T> filler;

    private transient GenericRecord record;
    private transient GenericDatumWriter<GenericRecord> writer;
    private transient ByteArrayOutputStream buffer;
    private transient BinaryEncoder encoder;

    /**
     * @param schema the values' schema ({@link AvroRecords#latentsSchema()}, ...), asked for where the sink writer
     *     opens
     */
    AvroValues(SerializableSupplier<Schema> schema, SerializableFunction<T, String> key, Filler<T> filler) {
        this.schema = Objects.requireNonNull(schema, "schema");
        this.key = Objects.requireNonNull(key, "key");
        this.filler = Objects.requireNonNull(filler, "filler");
    }

    @Override
    public void open(String topic) {
        Schema s = schema.get();
        record = new GenericData.Record(s);
        writer = new GenericDatumWriter<>(s);
        buffer = new ByteArrayOutputStream(256);
        encoder = EncoderFactory.get().binaryEncoder(buffer, null);
    }

    @Override
    public RecordSerializer.Parts of(T element) {
        filler.fill(element, record);
        buffer.reset();
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail; a field of the wrong type throws before
        }
        return new RecordSerializer.Parts(KafkaRecords.utf8(key.apply(element)), buffer.toByteArray(), List.of());
    }
}
