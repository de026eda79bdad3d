package io.latentwatch.frames;

import java.io.IOException;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * An ImageIO input stream that reads an encoded image straight from its byte array. ImageIO's own in-memory stream
 * ({@code MemoryCacheImageInputStream}) copies everything it reads into a cache of blocks, and every reader asked
 * whether it can decode the image reads, marks and resets through that cache: for a frame decoded from a Kafka
 * record, which is already a byte array, all of that is a copy of what is there.
 */
final class ByteArrayImageInputStream extends ImageInputStreamImpl {

    private final byte[] bytes;

    ByteArrayImageInputStream(byte[] bytes) {
        this.bytes = bytes;
    }

    @Override
    public int read() throws IOException {
        checkClosed();
        bitOffset = 0;
        return streamPos < bytes.length ? bytes[(int) streamPos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        checkClosed();
        if (off < 0 || len < 0 || off + len > b.length || off + len < 0) {
            throw new IndexOutOfBoundsException("off " + off + ", len " + len + ", buffer " + b.length);
        }
        bitOffset = 0;
        if (len == 0) {
            return 0;
        }
        if (streamPos >= bytes.length) {
            return -1;
        }
        int n = (int) Math.min(len, bytes.length - streamPos);
        System.arraycopy(bytes, (int) streamPos, b, off, n);
        streamPos += n;
        return n;
    }

    /** Unknown, as MemoryCacheImageInputStream says: the readers then read exactly as they did from that stream. */
    @Override
    public long length() {
        return -1;
    }

    @Override
    public boolean isCached() {
        return true;
    }

    @Override
    public boolean isCachedMemory() {
        return true;
    }
}
