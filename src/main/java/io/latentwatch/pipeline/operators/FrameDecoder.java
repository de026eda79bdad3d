package io.latentwatch.pipeline.operators;

import io.latentwatch.frames.ChannelPolicy;
import io.latentwatch.frames.Frame;
import io.latentwatch.frames.ImageFrames;
import io.latentwatch.frames.ImageReading;
import io.latentwatch.pipeline.kafka.DeadLetter;
import io.latentwatch.pipeline.kafka.RawFrame;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Decodes and validates the frames topic's records: a good record becomes a {@link Frame} (pixels normalised for
 * the model), a bad one a {@link DeadLetter} on the {@link #DEAD_LETTERS} side output, with the reason and the stage
 * that refused it. A record is refused when
 *
 * <ul>
 *   <li>it has no key (the key is the source id), a key or frame-id header longer than {@value #MAX_ID_BYTES} bytes, or a
 *       captured-at header that is not epoch milliseconds (validate);
 *   <li>its value is larger than the byte limit (validate, before decoding);
 *   <li>its value is empty, not an image, an image in another format than PNG, JPEG and BMP, or truncated (decode);
 *   <li>its image is wider or taller than the side limit, or has more pixels than the pixel limit, read from the
 *       header before any pixel (validate);
 *   <li>its image's colour channels are neither 1 nor 3, or, under {@link ChannelPolicy#EXACT}, not the model's
 *       (validate).
 * </ul>
 *
 * <p>An image much larger than the model's image size is decoded subsampled ({@link ImageReading}); one of the
 * model's size is decoded whole. Either is converted by {@link ImageFrames}, exactly as training converts it (a frame
 * of the model's size through its bulk raster path).
 *
 * <p>Metrics (group {@code latentwatch}): {@code framesIn}, {@code framesDeadLettered} (counters), and
 * {@code framesDeadLettered} per {@link DeadLetterReason} in the key-value group {@code reason} (Prometheus: the label
 * {@code reason}).
 */
public final class FrameDecoder extends ProcessFunction<RawFrame, Frame> {

    // The job's frame limits (listed in ScoringJobOptions), here because the decoder enforces them and names them in
    // its dead letters.

    public static final ConfigOption<MemorySize> MAX_FRAME_BYTES =
            ConfigOptions.key("latentwatch.frames.max-bytes")
                    .memoryType()
                    .defaultValue(MemorySize.parse("4mb"))
                    .withDescription("Larger encoded frames go to the dead-letter topic unread.");

    public static final ConfigOption<Integer> MAX_FRAME_SIDE =
            ConfigOptions.key("latentwatch.frames.max-side")
                    .intType()
                    .defaultValue(4096)
                    .withDescription("Frames wider or taller than this many pixels go to the dead-letter topic; checked"
                            + " from the image header before any pixel is decoded.");

    public static final ConfigOption<Long> MAX_FRAME_PIXELS =
            ConfigOptions.key("latentwatch.frames.max-pixels")
                    .longType()
                    .defaultValue(io.latentwatch.frames.ImageReading.DEFAULT_MAX_PIXELS)
                    .withDescription("Frames of more pixels (width x height) than this go to the dead-letter topic; checked"
                            + " from the image header before any pixel is decoded, so a small file that declares a huge image"
                            + " costs nothing. Frames far larger than the model's image size are decoded subsampled.");

    public static final ConfigOption<ChannelPolicy> CHANNEL_POLICY =
            ConfigOptions.key("latentwatch.frames.channel-policy")
                    .enumType(ChannelPolicy.class)
                    .defaultValue(ChannelPolicy.CONVERT)
                    .withDescription("convert: gray and colour frames are both scored (luma of colour for a gray model, gray"
                            + " repeated for a colour one); exact: a frame must have the model's channel count, or it is a"
                            + " dead letter.");


    private static final long serialVersionUID = 1L;

    /** The side output of refused records. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

    public static final String FRAME_ID_HEADER = RawFrame.FRAME_ID_HEADER;
    public static final String CAPTURED_AT_HEADER = RawFrame.CAPTURED_AT_HEADER;
    /** The longest source id (key) and frame id (header) taken, in bytes. */
    public static final int MAX_ID_BYTES = 256;

    private final int channels;
    private final int imageSize;
    private final long maxBytes;
    private final int maxSide;
    private final long maxPixels;
    private final ChannelPolicy channelPolicy;

    private transient Counter framesIn;
    private transient Counter deadLettered;
    private transient Map<DeadLetterReason, Counter> deadLetteredByReason;

    /**
     * @param channels the model's in_channels (1 or 3)
     * @param imageSize the model's image_size
     * @param maxBytes larger values are refused unread
     * @param maxSide wider or taller images are refused undecoded
     * @param maxPixels images of more pixels (width × height) are refused undecoded
     * @param channelPolicy how image channels must match the model's
     */
    public FrameDecoder(int channels, int imageSize, long maxBytes, int maxSide, long maxPixels, ChannelPolicy channelPolicy) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
        }
        if (maxBytes < 1 || maxSide < 1 || maxPixels < 1 || imageSize < 1) {
            throw new IllegalArgumentException("max bytes, max side, max pixels and image size must be positive, got " + maxBytes + ", "
                    + maxSide + ", " + maxPixels + ", " + imageSize);
        }
        this.channels = channels;
        this.imageSize = imageSize;
        this.maxBytes = maxBytes;
        this.maxSide = maxSide;
        this.maxPixels = maxPixels;
        this.channelPolicy = channelPolicy;
    }

    /** As the full constructor, with the default pixel limit ({@link ScoringJobOptions#MAX_FRAME_PIXELS}). */
    public FrameDecoder(int channels, int imageSize, long maxBytes, int maxSide, ChannelPolicy channelPolicy) {
        this(channels, imageSize, maxBytes, maxSide, MAX_FRAME_PIXELS.defaultValue(), channelPolicy);
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        MetricGroup metrics = getRuntimeContext().getMetricGroup().addGroup("latentwatch");
        framesIn = metrics.counter("framesIn");
        deadLettered = metrics.counter("framesDeadLettered");
        // every reason registered up front, at 0: a counter that first appears at 1 never shows in a rate(), and a
        // reason is often a single bad record
        deadLetteredByReason = new EnumMap<>(DeadLetterReason.class);
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            deadLetteredByReason.put(reason, metrics.addGroup("reason", reason.label()).counter("framesDeadLettered"));
        }
        ImageIO.setUseCache(false); // decode in memory, never through temporary files
    }

    @Override
    public void processElement(RawFrame raw, Context ctx, Collector<Frame> out) {
        framesIn.inc();
        try {
            out.collect(decode(raw));
        } catch (Refused r) {
            deadLettered.inc();
            deadLetteredByReason.get(r.reason).inc();
            ctx.output(DEAD_LETTERS, new DeadLetter(raw, r.stage, r.getMessage()));
        }
    }

    /**
     * The frame in a record.
     *
     * @throws Refused with the stage and the reason
     */
    Frame decode(RawFrame raw) throws Refused {
        if (raw.key == null || raw.key.length == 0) {
            throw new Refused(DeadLetterReason.NO_KEY, "no key: the key must be the source id");
        }
        // both travel in every latents and alert record: unbounded, one record could outgrow what the sinks may write
        if (raw.key.length > MAX_ID_BYTES) {
            throw new Refused(DeadLetterReason.KEY_TOO_LONG, "key too long: " + raw.key.length + " bytes, a source id has at most " + MAX_ID_BYTES);
        }
        String source = raw.keyString();
        long capturedAt = capturedAt(raw);
        byte[] frameIdHeader = raw.header(FRAME_ID_HEADER);
        if (frameIdHeader != null && frameIdHeader.length > MAX_ID_BYTES) {
            throw new Refused(DeadLetterReason.FRAME_ID_TOO_LONG, "frame-id header too long: " + frameIdHeader.length + " bytes, at most " + MAX_ID_BYTES);
        }
        String frameId = raw.frameId();
        byte[] value = raw.value;
        if (value != null && value.length > maxBytes) {
            throw new Refused(DeadLetterReason.FRAME_TOO_LARGE, "frame too large: " + value.length + " bytes, the limit is " + maxBytes
                    + " (" + MAX_FRAME_BYTES.key() + ")");
        }
        ImageReading.Decoded decoded = read(value);
        BufferedImage image = decoded.image();
        int components = image.getColorModel().getNumColorComponents();
        if (components != 1 && components != 3) {
            throw new Refused(DeadLetterReason.WRONG_CHANNELS, "wrong channel count: the image has " + components + " colour channels, expected 1 or 3");
        }
        if (channelPolicy == ChannelPolicy.EXACT && components != channels) {
            throw new Refused(DeadLetterReason.WRONG_CHANNELS, "wrong channel count: the image has " + components + " colour channel"
                    + (components == 1 ? "" : "s") + ", the model takes " + channels + " (" + CHANNEL_POLICY.key() + "=exact)");
        }
        // the image's own size (a subsampled decode's too), in which the frame's region and peak are given
        return new Frame(source, frameId, capturedAt, decoded.normalise(channels, imageSize), decoded.sourceWidth(), decoded.sourceHeight());
    }

    private static long capturedAt(RawFrame raw) throws Refused {
        byte[] header = raw.header(CAPTURED_AT_HEADER);
        if (header == null) {
            return raw.timestamp >= 0 ? raw.timestamp : System.currentTimeMillis();
        }
        String text = new String(header, StandardCharsets.UTF_8).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
            throw new Refused(DeadLetterReason.BAD_CAPTURED_AT, "captured-at header is not epoch milliseconds: '" + shown + "'");
        }
    }

    /** Reads the image, checking its size from the header before decoding any pixel. */
    private ImageReading.Decoded read(byte[] value) throws Refused {
        ImageReading.Opened image;
        try {
            image = ImageReading.open(value);
        } catch (IOException e) {
            // empty, not an image, another format, or a header that cannot be read
            throw new Refused(value == null || value.length == 0 ? DeadLetterReason.EMPTY : DeadLetterReason.UNDECODABLE, e.getMessage());
        }
        try (image) {
            int w = image.width();
            int h = image.height();
            if (w > maxSide || h > maxSide) {
                throw new Refused(DeadLetterReason.IMAGE_TOO_LARGE, "image too large: " + w + "x" + h + " pixels, the limit is " + maxSide
                        + " per side (" + MAX_FRAME_SIDE.key() + ")");
            }
            try {
                image.check(new ImageReading.PixelBudget(maxPixels, MAX_FRAME_PIXELS.key()));
            } catch (ImageReading.TooLarge e) {
                throw new Refused(DeadLetterReason.IMAGE_TOO_LARGE, e.getMessage());
            }
            return image.decode(imageSize);
        } catch (IOException e) {
            throw new Refused(DeadLetterReason.UNDECODABLE, e.getMessage());
        }
    }

    /** Why a record cannot be scored (its category and the full message), and at which stage. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final DeadLetterReason reason;
        final String stage;

        Refused(DeadLetterReason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
            this.stage = reason.stage();
        }
    }
}
