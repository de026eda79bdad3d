package io.latentwatch.dev;

import io.latentwatch.data.ImageDataset;
import io.latentwatch.frames.ImageEncoding;
import io.latentwatch.frames.ImageReading;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import io.latentwatch.pipeline.operators.FrameDecoder;
import java.awt.Rectangle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends frames to a frames topic at a steady rate, each with its source as the key and {@code frame-id} and
 * {@code captured-at} (the send time, epoch ms) headers, and tells a listener what it sent with its ground truth.
 * Used by {@code latentwatch produce}, {@code demo} and {@code benchmark pipeline}.
 */
public final class FrameProducer {

    /**
     * One frame to send and what is known about it: its label and, where known, the anomaly's bounding box in the
     * frame's pixels (null where unknown or normal).
     */
    public record Item(String source, String frameId, byte[] value, String label, boolean anomaly, Rectangle region) {
        public Item(String source, String frameId, byte[] value, String label, boolean anomaly) {
            this(source, frameId, value, label, anomaly, null);
        }
    }

    /** A frame as sent, with its item's label and anomaly box. */
    public record Sent(String source, String frameId, long capturedAt, String label, boolean anomaly, Rectangle region, int bytes) {}

    /** Frame {@code i} of a stream. */
    @FunctionalInterface
    public interface Frames {
        Item frame(long i);
    }

    private FrameProducer() {}

    /**
     * The synthetic camera's frames from its start index on, spread round robin over {@code sources} sources named
     * {@code cam-0, cam-1, ...}; frame ids {@code cam-K-INDEX}; labels are the anomaly kinds.
     *
     * @param format png or jpeg
     */
    public static Frames camera(SyntheticCamera camera, int sources, String format) {
        checkFormat(format);
        long start = camera.nextIndex();
        return i -> {
            CameraFrame f = camera.frame(start + i);
            String source = "cam-" + (i % sources);
            byte[] bytes = "jpeg".equals(format) ? f.encodeJpeg() : f.encodePng();
            return new Item(source, source + "-" + f.index(), bytes, f.anomaly().label(), f.isAnomaly(), f.isAnomaly() ? f.region() : null);
        };
    }

    /**
     * A dataset's images, over and over, round robin over {@code sources} sources; labels are the dataset's. An image
     * that cannot be read (whatever it throws, OutOfMemoryError included) is told to {@code unreadable} once, as
     * "name: reason", and left out from then on; the next image is sent in its place.
     *
     * @throws IllegalStateException from {@link Frames#frame} when no image of the dataset can be read
     */
    public static Frames dataset(ImageDataset data, int sources, String format, Consumer<String> unreadable) {
        checkFormat(format);
        if (data.size() == 0) {
            throw new IllegalArgumentException("the dataset " + data.description() + " has no images");
        }
        boolean[] bad = new boolean[data.size()];
        int[] badCount = {0};
        long[] next = {0};
        return i -> {
            while (badCount[0] < bad.length) {
                int k = (int) (next[0]++ % data.size());
                if (bad[k]) {
                    continue;
                }
                byte[] bytes;
                try {
                    bytes = "jpeg".equals(format) ? ImageEncoding.jpeg(data.image(k), 0.9f) : ImageEncoding.png(data.image(k));
                } catch (RuntimeException | OutOfMemoryError e) {
                    bad[k] = true;
                    badCount[0]++;
                    unreadable.accept(data.name(k) + ": " + ImageReading.reason(e));
                    continue;
                }
                String source = "cam-" + (i % sources);
                return new Item(source, source + "-" + i, bytes, data.label(k), false);
            }
            throw new IllegalStateException("no image of " + data.description() + " can be read");
        };
    }

    private static void checkFormat(String format) {
        if (!List.of("png", "jpeg").contains(format)) {
            throw new IllegalArgumentException("format must be png or jpeg, got " + format);
        }
    }

    /**
     * Sends frames 0, 1, 2, ... at {@code rate} frames per second until {@code maxFrames} are sent, {@code
     * maxDuration} has passed, or {@code stop} says so, whichever comes first; then flushes.
     *
     * @param rate frames per second; 0 or less sends as fast as the producer takes them
     * @param maxFrames 0 or less for no limit
     * @param maxDuration null for no limit
     * @return frames sent
     * @throws IllegalStateException if Kafka refused a frame (the first error, once all sends are done)
     */
    public static long send(KafkaClientConfig kafka, String topic, Frames frames, double rate, long maxFrames, Duration maxDuration,
            BooleanSupplier stop, Consumer<Sent> listener) throws InterruptedException {
        Map<String, Object> p = kafka.toMap();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "latentwatch-produce");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 2);
        AtomicReference<Exception> failure = new AtomicReference<>();
        long sent = 0;
        long t0 = System.nanoTime();
        long end = maxDuration == null ? Long.MAX_VALUE : t0 + maxDuration.toNanos();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            while ((maxFrames <= 0 || sent < maxFrames) && !stop.getAsBoolean() && failure.get() == null) {
                if (rate > 0) {
                    long due = t0 + (long) (sent * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
                if (System.nanoTime() >= end || stop.getAsBoolean()) {
                    break;
                }
                Item item = frames.frame(sent);
                long now = System.currentTimeMillis();
                List<Header> headers = List.of(
                        new RecordHeader(FrameDecoder.FRAME_ID_HEADER, item.frameId().getBytes(StandardCharsets.UTF_8)),
                        new RecordHeader(FrameDecoder.CAPTURED_AT_HEADER, Long.toString(now).getBytes(StandardCharsets.UTF_8)));
                producer.send(new ProducerRecord<>(topic, null, now, item.source().getBytes(StandardCharsets.UTF_8), item.value(), headers),
                        (meta, e) -> {
                            if (e != null) {
                                failure.compareAndSet(null, e);
                            }
                        });
                listener.accept(new Sent(item.source(), item.frameId(), now, item.label(), item.anomaly(), item.region(), item.value().length));
                sent++;
            }
            producer.flush();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("Kafka refused a frame: " + failure.get().getMessage(), failure.get());
        }
        return sent;
    }
}
