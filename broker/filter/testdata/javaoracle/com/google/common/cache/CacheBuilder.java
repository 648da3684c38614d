package com.google.common.cache;
public class CacheBuilder<K, V> {
    public static CacheBuilder<Object, Object> newBuilder() { return new CacheBuilder<Object, Object>(); }
    public CacheBuilder<K, V> maximumSize(long n) { return this; }
    public <K1 extends K, V1 extends V> Cache<K1, V1> build() {
        return new Cache<K1, V1>() {
            public V1 getIfPresent(Object key) { return null; }
            public void put(K1 key, V1 value) { }
            public void cleanUp() { }
        };
    }
}
