package io.latentwatch.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Test helpers: frames into a topic, every committed record out of one, and their JSON. */
public final class Records {

    private Records() {}

    /** A frames record to send. */
    record Sent(String key, byte[] value, Map<String, String> headers) {
        static Sent frame(String source, String frameId, byte[] value) {
            Map<String, String> h = new LinkedHashMap<>();
            h.put("frame-id", frameId);
            h.put("captured-at", String.valueOf(System.currentTimeMillis()));
            return new Sent(source, value, h);
        }
    }

    /** Camera frames {@code first .. first+count-1}, PNG, keys cam-0 .. cam-(sources-1) round robin; returns truth by frame id. */
    static Map<String, CameraFrame> cameraFrames(SyntheticCamera camera, long first, int count, int sources, List<Sent> out) {
        Map<String, CameraFrame> truth = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            CameraFrame f = camera.frame(first + i);
            String source = "cam-" + (i % sources);
            String id = source + "-" + f.index();
            truth.put(id, f);
            out.add(Sent.frame(source, id, f.encodePng()));
        }
        return truth;
    }

    static void send(Map<String, Object> client, String topic, List<Sent> records) throws Exception {
        Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (Sent s : records) {
                List<Header> headers = new ArrayList<>();
                s.headers().forEach((k, v) -> headers.add(new RecordHeader(k, v.getBytes(StandardCharsets.UTF_8))));
                byte[] key = s.key() == null ? null : s.key().getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, null, key, s.value(), headers));
            }
            producer.flush();
        }
    }

    /** Every committed record of a topic up to its end offsets (read_committed). */
    public static List<ConsumerRecord<byte[], byte[]>> readCommitted(Map<String, Object> client, String topic) {
        Map<String, Object> c = new HashMap<>(client);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(20))) {
                tps.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, Duration.ofSeconds(20));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (tps.stream().anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(20)) < end.get(tp))) {
                assertTrue(System.nanoTime() < deadline, "not at the end offsets " + end + " of " + topic + " within 30 s");
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    public static JsonObject json(ConsumerRecord<byte[], byte[]> r) {
        return JsonParser.parseString(new String(r.value(), StandardCharsets.UTF_8)).getAsJsonObject();
    }

    static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** How many records each frame_id has. */
    static Map<String, Long> countByFrameId(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().collect(Collectors.groupingBy(r -> json(r).get("frame_id").getAsString(), Collectors.counting()));
    }
}
